package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code card} section of a manifest: what only the model's developer can say about it and the model card
 * reports as given (the ONC HTI-1 source attributes of a predictive decision support intervention that neither the
 * registry nor the gates can measure). Every field is optional; a missing one shows on the card as "not provided",
 * and a model's gate policy may require some ({@link #FIELDS} names them).
 *
 * <p>{@code inputVariables}, when given, must state for each of the nine demographic and social variables the
 * rule names ({@link #INPUT_VARIABLES}) which input features carry it, an empty list meaning "not used", so that
 * "not used" is a statement and never a silence.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CardFacts(
        String developerContact,
        String fundingSource,
        String patientPopulation,
        String intendedUsers,
        String decisionRole,
        List<String> outOfScopeUses,
        String inclusionCriteria,
        String exclusionCriteria,
        Map<String, List<String>> inputVariables,
        String demographicRepresentativeness,
        String trainingDataRelevance,
        String fairnessApproach,
        String biasMitigation,
        String externalDataSource,
        String externalValidationParty,
        String externalRepresentativeness,
        String externalValidationProcess,
        String externalValidity,
        String externalFairness,
        List<String> outcomeEvaluations,
        String updateSchedule) {

    /** The decision-making roles the rule names: the output informs, augments or replaces clinical management. */
    public static final List<String> DECISION_ROLES = List.of("informs", "augments", "replaces");
    /** The variables of 45 CFR 170.315(b)(11)(iv)(A)(5)-(13), by the names the manifest uses. */
    public static final List<String> INPUT_VARIABLES = List.of("race", "ethnicity", "language", "sexualOrientation",
            "genderIdentity", "sex", "dateOfBirth", "socialDeterminants", "healthStatusAssessments");
    /** Every field of the section, in the order of the record. */
    public static final List<String> FIELDS = Arrays.stream(CardFacts.class.getRecordComponents())
            .map(RecordComponent::getName).toList();
    static final int MAX_TEXT = 4000;
    static final int MAX_ITEMS = 50;

    public CardFacts {
        text("developerContact", developerContact);
        text("fundingSource", fundingSource);
        text("patientPopulation", patientPopulation);
        text("intendedUsers", intendedUsers);
        if (decisionRole != null && !DECISION_ROLES.contains(decisionRole)) {
            throw new ValidationException("card.decisionRole must be one of " + DECISION_ROLES
                    + " (the output informs, augments or replaces clinical management)");
        }
        outOfScopeUses = items("outOfScopeUses", outOfScopeUses);
        text("inclusionCriteria", inclusionCriteria);
        text("exclusionCriteria", exclusionCriteria);
        inputVariables = variables(inputVariables);
        text("demographicRepresentativeness", demographicRepresentativeness);
        text("trainingDataRelevance", trainingDataRelevance);
        text("fairnessApproach", fairnessApproach);
        text("biasMitigation", biasMitigation);
        text("externalDataSource", externalDataSource);
        text("externalValidationParty", externalValidationParty);
        text("externalRepresentativeness", externalRepresentativeness);
        text("externalValidationProcess", externalValidationProcess);
        text("externalValidity", externalValidity);
        text("externalFairness", externalFairness);
        outcomeEvaluations = items("outcomeEvaluations", outcomeEvaluations);
        text("updateSchedule", updateSchedule);
    }

    /** A section that says nothing: what a manifest without {@code card} reads as. */
    public static CardFacts none() {
        return new CardFacts(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null);
    }

    /** Whether {@code field} (one of {@link #FIELDS}) was given; an empty list counts as not given. */
    public boolean provides(String field) {
        RecordComponent component = Arrays.stream(CardFacts.class.getRecordComponents())
                .filter(c -> c.getName().equals(field)).findFirst()
                .orElseThrow(() -> new ValidationException("`" + field + "` is not a card field; the fields are " + FIELDS));
        try {
            Object value = component.getAccessor().invoke(this);
            return value != null && !(value instanceof Collection<?> c && c.isEmpty());
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read card field " + field, e);
        }
    }

    /** Refuses names that are not card fields, naming the ones that are. */
    public static List<String> checkFieldNames(String what, List<String> names) {
        if (names == null) {
            return List.of();
        }
        for (String name : names) {
            if (!FIELDS.contains(name)) {
                throw new ValidationException(what + " names " + Json.quotedName(name) + ", which is not a card field;"
                        + " the fields are " + FIELDS);
            }
        }
        return List.copyOf(new java.util.LinkedHashSet<>(names));
    }

    private static void text(String field, String value) {
        if (value == null) {
            return;
        }
        if (value.isBlank()) {
            throw new ValidationException("card." + field + " is blank: leave it out, or say something");
        }
        if (value.length() > MAX_TEXT) {
            throw new ValidationException("card." + field + " has " + value.length() + " characters; at most "
                    + MAX_TEXT + " are kept: link to a longer document instead");
        }
    }

    private static List<String> items(String field, List<String> values) {
        if (values == null) {
            return List.of();
        }
        if (values.size() > MAX_ITEMS) {
            throw new ValidationException("card." + field + " has " + values.size() + " entries; at most " + MAX_ITEMS);
        }
        for (int i = 0; i < values.size(); i++) {
            text(field + "[" + i + "]", values.get(i));
        }
        return List.copyOf(values);
    }

    private static Map<String, List<String>> variables(Map<String, List<String>> given) {
        if (given == null) {
            return null;
        }
        Set<String> missing = new java.util.LinkedHashSet<>(INPUT_VARIABLES);
        missing.removeAll(given.keySet());
        for (String key : given.keySet()) {
            if (!INPUT_VARIABLES.contains(key)) {
                throw new ValidationException("card.inputVariables names `" + key + "`; the variables are "
                        + INPUT_VARIABLES);
            }
        }
        if (!missing.isEmpty()) {
            throw new ValidationException("card.inputVariables leaves out " + missing + ": state every variable,"
                    + " with [] for one the model does not use");
        }
        Map<String, List<String>> ordered = new LinkedHashMap<>();
        for (String key : INPUT_VARIABLES) {
            List<String> features = given.get(key) == null ? List.of() : given.get(key);
            ordered.put(key, items("inputVariables." + key, features));
        }
        return Collections.unmodifiableMap(ordered);
    }
}
