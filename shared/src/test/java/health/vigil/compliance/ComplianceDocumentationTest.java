package health.vigil.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The compliance mappings cite tests as evidence (`Class#method`): each cited test exists in the repository, so a
 * renamed or removed test cannot leave a regulation mapped to evidence that is gone.
 */
class ComplianceDocumentationTest {
    private static final Path ROOT = Path.of("..");
    private static final Pattern CITED = Pattern.compile("`([A-Z][A-Za-z0-9]*)#([a-z][A-Za-z0-9]*)`");

    @Test
    void everyTestTheComplianceMappingsCiteExists() throws IOException {
        List<Path> sources;
        try (Stream<Path> files = Files.walk(ROOT)) {
            sources = files.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/test/java/")
                    && !p.toString().contains("/target/")).toList();
        }
        List<String> cited = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs/compliance"))) {
            for (Path doc : docs.filter(p -> p.toString().endsWith(".md")).toList()) {
                Matcher m = CITED.matcher(Files.readString(doc));
                while (m.find()) {
                    if (m.group(1).equals("Class")) {
                        continue; // the notation explained in words
                    }
                    cited.add(m.group());
                    String file = m.group(1) + ".java";
                    String method = m.group(2);
                    boolean found = false;
                    for (Path source : sources) {
                        if (source.getFileName().toString().equals(file)
                                && Pattern.compile("\\bvoid " + method + "\\(").matcher(Files.readString(source)).find()) {
                            found = true;
                            break;
                        }
                    }
                    if (!found) {
                        missing.add(doc.getFileName() + ": " + m.group());
                    }
                }
            }
        }
        assertThat(cited).hasSizeGreaterThan(20);
        assertThat(missing).as("tests cited in docs/compliance that do not exist").isEmpty();
    }
}
