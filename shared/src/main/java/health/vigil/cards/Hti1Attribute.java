package health.vigil.cards;

import java.util.Arrays;
import java.util.List;

/**
 * The source attributes ONC's HTI-1 rule asks of a predictive decision support intervention
 * (45 CFR 170.315(b)(11)(iv)(B)), in the rule's order and grouped as the rule groups them. The model card has one
 * entry for each; docs/model-cards.md says where each value comes from.
 */
public enum Hti1Attribute {
    DEVELOPER(Group.DETAILS, "(1)(i)", "Developer and contact"),
    FUNDING(Group.DETAILS, "(1)(ii)", "Funding source of the technical implementation"),
    OUTPUT_VALUE(Group.DETAILS, "(1)(iii)", "Value the intervention produces as output"),
    OUTPUT_TYPE(Group.DETAILS, "(1)(iv)", "Type of output"),
    INTENDED_USE(Group.PURPOSE, "(2)(i)", "Intended use"),
    PATIENT_POPULATION(Group.PURPOSE, "(2)(ii)", "Intended patient population"),
    INTENDED_USERS(Group.PURPOSE, "(2)(iii)", "Intended users"),
    DECISION_ROLE(Group.PURPOSE, "(2)(iv)", "Intended decision-making role"),
    OUT_OF_SCOPE(Group.OUT_OF_SCOPE, "(3)(i)", "Tasks, situations and populations to avoid"),
    RISKS_AND_LIMITATIONS(Group.OUT_OF_SCOPE, "(3)(ii)", "Known risks, inappropriate settings and uses, limitations"),
    TRAINING_CRITERIA(Group.DEVELOPMENT, "(4)(i)", "Inclusion and exclusion criteria of the training data"),
    INPUT_VARIABLES(Group.DEVELOPMENT, "(4)(ii)", "Use of demographic, social and health-status variables as inputs"),
    TRAINING_REPRESENTATIVENESS(Group.DEVELOPMENT, "(4)(iii)", "Demographic representativeness of the training data"),
    TRAINING_RELEVANCE(Group.DEVELOPMENT, "(4)(iv)", "Relevance of the training data to the deployed setting"),
    FAIRNESS_APPROACH(Group.FAIRNESS, "(5)(i)", "Approach to ensure the output is fair"),
    BIAS_MANAGEMENT(Group.FAIRNESS, "(5)(ii)", "Approaches to manage, reduce or eliminate bias"),
    EXTERNAL_SOURCE(Group.EXTERNAL_VALIDATION, "(6)(i)", "External data source, clinical setting or environment"),
    EXTERNAL_PARTY(Group.EXTERNAL_VALIDATION, "(6)(ii)", "Party that conducted the external testing"),
    EXTERNAL_REPRESENTATIVENESS(Group.EXTERNAL_VALIDATION, "(6)(iii)", "Demographic representativeness of the external data"),
    EXTERNAL_PROCESS(Group.EXTERNAL_VALIDATION, "(6)(iv)", "External validation process"),
    TEST_VALIDITY(Group.PERFORMANCE, "(7)(i)", "Validity in test data"),
    TEST_FAIRNESS(Group.PERFORMANCE, "(7)(ii)", "Fairness in test data"),
    EXTERNAL_VALIDITY(Group.PERFORMANCE, "(7)(iii)", "Validity in external data"),
    EXTERNAL_FAIRNESS(Group.PERFORMANCE, "(7)(iv)", "Fairness in external data"),
    OUTCOME_EVALUATIONS(Group.PERFORMANCE, "(7)(v)", "References to evaluations of the intervention's effect on outcomes"),
    UPDATE_SCHEDULE(Group.MAINTENANCE, "(8)(i)", "Update and continued validation or fairness assessment schedule"),
    LOCAL_VALIDITY(Group.MAINTENANCE, "(8)(ii)", "Validity in local data"),
    LOCAL_FAIRNESS(Group.MAINTENANCE, "(8)(iii)", "Fairness in local data");

    /** The rule's groups, in its order. */
    public enum Group {
        DETAILS("(1)", "Details and output of the intervention"),
        PURPOSE("(2)", "Purpose of the intervention"),
        OUT_OF_SCOPE("(3)", "Cautioned out-of-scope use"),
        DEVELOPMENT("(4)", "Development details and input features"),
        FAIRNESS("(5)", "Process used to ensure fairness in development"),
        EXTERNAL_VALIDATION("(6)", "External validation process"),
        PERFORMANCE("(7)", "Quantitative measures of performance"),
        MAINTENANCE("(8)", "Ongoing maintenance of implementation and use");

        private final String paragraph;
        private final String title;

        Group(String paragraph, String title) {
            this.paragraph = paragraph;
            this.title = title;
        }

        public String paragraph() {
            return paragraph;
        }

        public String title() {
            return title;
        }

        public List<Hti1Attribute> attributes() {
            return Arrays.stream(Hti1Attribute.values()).filter(a -> a.group == this).toList();
        }
    }

    private final Group group;
    private final String paragraph;
    private final String title;

    Hti1Attribute(Group group, String paragraph, String title) {
        this.group = group;
        this.paragraph = paragraph;
        this.title = title;
    }

    public Group group() {
        return group;
    }

    /** The paragraph of 45 CFR 170.315(b)(11)(iv)(B), for example {@code (7)(ii)}. */
    public String paragraph() {
        return paragraph;
    }

    public String title() {
        return title;
    }

    /** The attribute's key in the card's JSON: the constant's name in lower camel case. */
    public String key() {
        StringBuilder key = new StringBuilder();
        for (String part : name().toLowerCase(java.util.Locale.ROOT).split("_")) {
            key.append(key.length() == 0 ? part : Character.toUpperCase(part.charAt(0)) + part.substring(1));
        }
        return key.toString();
    }
}
