package health.vigil.cards;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.model.CardFacts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/model-cards.md lists every HTI-1 attribute of the card, in the rule's order, and every manifest card field. */
class ModelCardDocumentationTest {

    @Test
    void theDocsPageHasARowForEveryAttributeAndNamesEveryCardField() throws IOException {
        String doc = Files.readString(Path.of("..", "docs", "model-cards.md"));
        int previous = -1;
        for (Hti1Attribute attribute : Hti1Attribute.values()) {
            var row = Pattern.compile("\\| `" + attribute.key() + "` \\| " + Pattern.quote(attribute.paragraph()) + " \\| ")
                    .matcher(doc);
            assertThat(row.find()).as("docs/model-cards.md row for " + attribute.key()).isTrue();
            assertThat(row.start()).as(attribute.key() + " in the rule's order").isGreaterThan(previous);
            previous = row.start();
        }
        for (String key : new String[] {"localValidity", "localFairness"}) {
            String row = doc.substring(doc.indexOf("| `" + key + "` |"));
            assertThat(row.substring(0, row.indexOf('\n'))).as("docs/model-cards.md: where " + key + " comes from")
                    .contains("monitoring report");
        }
        for (String field : CardFacts.FIELDS) {
            assertThat(doc).as("docs/model-cards.md names card." + field).contains("\"" + field + "\"");
        }
    }
}
