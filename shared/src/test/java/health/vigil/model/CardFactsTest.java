package health.vigil.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import health.vigil.registry.ServiceFixtures;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class CardFactsTest {

    private static Manifest read(ObjectNode manifest) {
        return Json.read("manifest.json", Json.write(manifest).getBytes(StandardCharsets.UTF_8), Manifest.class);
    }

    private static ObjectNode manifestJson() {
        return (ObjectNode) Json.mapper().valueToTree(ServiceFixtures.manifest(ServiceFixtures.READMISSION));
    }

    @Test
    void aManifestWrittenBeforeTheCardSectionStillReadsAndSaysNothingOnTheCard() {
        ObjectNode old = manifestJson();
        assertThat(old.has("card")).isFalse();

        Manifest manifest = read(old);

        assertThat(manifest.card()).isNull();
        for (String field : CardFacts.FIELDS) {
            assertThat(manifest.cardFacts().provides(field)).as(field).isFalse();
        }
    }

    @Test
    void theCardSectionIsReadAndEachGivenFieldCountsAsProvided() {
        ObjectNode json = manifestJson();
        ObjectNode card = json.putObject("card");
        card.put("fundingSource", "Hospital quality budget").put("decisionRole", "informs");
        card.putArray("outOfScopeUses").add("Children");
        ObjectNode variables = card.putObject("inputVariables");
        CardFacts.INPUT_VARIABLES.forEach(variables::putArray);
        variables.putArray("sex").add("sex");

        CardFacts facts = read(json).cardFacts();

        assertThat(facts.provides("fundingSource")).isTrue();
        assertThat(facts.provides("outOfScopeUses")).isTrue();
        assertThat(facts.provides("outcomeEvaluations")).isFalse();
        assertThat(facts.provides("inputVariables")).isTrue();
        assertThat(facts.inputVariables().get("sex")).containsExactly("sex");
        assertThat(facts.inputVariables().keySet()).containsExactlyElementsOf(CardFacts.INPUT_VARIABLES);
    }

    @Test
    void invalidCardFieldsAreRefusedWithTheFieldNamedAndWithoutEchoingTheText() {
        ObjectNode role = manifestJson();
        role.putObject("card").put("decisionRole", "decides");
        assertThatThrownBy(() -> read(role)).hasMessageContaining("card.decisionRole must be one of [informs, augments, replaces]");

        ObjectNode blank = manifestJson();
        blank.putObject("card").put("fundingSource", "  ");
        assertThatThrownBy(() -> read(blank)).hasMessageContaining("card.fundingSource is blank");

        ObjectNode tooLong = manifestJson();
        tooLong.putObject("card").put("intendedUsers", "x".repeat(4001));
        assertThatThrownBy(() -> read(tooLong)).hasMessageContaining("card.intendedUsers has 4001 characters")
                .hasMessageNotContaining("xxxx");

        ObjectNode partial = manifestJson();
        partial.putObject("card").putObject("inputVariables").putArray("race");
        assertThatThrownBy(() -> read(partial)).hasMessageContaining("card.inputVariables leaves out [ethnicity,");

        ObjectNode unknownVariable = manifestJson();
        ObjectNode variables = unknownVariable.putObject("card").putObject("inputVariables");
        CardFacts.INPUT_VARIABLES.forEach(variables::putArray);
        variables.putArray("religion");
        assertThatThrownBy(() -> read(unknownVariable)).hasMessageContaining("card.inputVariables names `religion`");

        ObjectNode unknownField = manifestJson();
        unknownField.putObject("card").put("favouriteColour", "blue");
        assertThatThrownBy(() -> read(unknownField)).isInstanceOf(ValidationException.class)
                .hasMessageContaining("favouriteColour");
    }

    @Test
    void onlyCardFieldsCanBeNamedAndAskingForAnythingElseIsRefused() {
        assertThat(CardFacts.FIELDS).hasSize(21).contains("fundingSource", "inputVariables", "updateSchedule");
        assertThat(CardFacts.checkFieldNames("requiredCardFields", List.of("fundingSource", "fundingSource")))
                .containsExactly("fundingSource");
        assertThatThrownBy(() -> CardFacts.checkFieldNames("requiredCardFields", List.of("owner")))
                .hasMessageContaining("requiredCardFields names 'owner', which is not a card field");
        assertThatThrownBy(() -> CardFacts.none().provides("owner")).isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> CardFacts.checkFieldNames("requiredCardFields", List.of("John Smith MRN 123")))
                .hasMessageContaining("names (its name, not repeated here").hasMessageNotContaining("John");
    }
}
