package health.vigil.adapter.azure;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/settings.md is the one list of setting names the Bicep templates follow: it must name every setting the
 * code reads, and nothing the code does not read; the Bicep templates and the local.settings.json examples may use
 * only listed names, and every Functions host or platform setting the templates set is listed too.
 */
class SettingsDocumentationTest {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern SETTING = Pattern.compile("\"(VIGIL_[A-Z0-9_]*[A-Z0-9])\"");
    private static final Pattern DOCUMENTED = Pattern.compile("`(VIGIL_[A-Z0-9_]+)`");

    private static Set<String> documented() throws IOException {
        return matches(DOCUMENTED, Files.readString(REPO.resolve("docs/settings.md")));
    }

    private static Set<String> matches(Pattern pattern, String text) {
        Set<String> names = new TreeSet<>();
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** Setting names as string literals in the main code of every module (not the emulator launcher's output). */
    private static Set<String> readByCode() throws IOException {
        Set<String> names = new TreeSet<>();
        try (Stream<Path> files = Files.walk(REPO)) {
            for (Path file : files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> p.toString().contains("/src/main/java/"))
                    .filter(p -> !p.toString().contains("/emulators/src/"))
                    .toList()) {
                names.addAll(matches(SETTING, Files.readString(file)));
            }
        }
        return names;
    }

    @Test
    void everySettingTheCodeReadsIsDocumentedAndNothingElse() throws IOException {
        Set<String> code = readByCode();
        assertThat(code).as("settings the code reads").contains("VIGIL_MODE", "VIGIL_AZURE_COSMOS_ENDPOINT")
                .containsAll(AzureSettings.NAMES);
        assertThat(documented()).containsExactlyInAnyOrderElementsOf(code);
    }

    private static String templates() throws IOException {
        StringBuilder all = new StringBuilder();
        try (Stream<Path> files = Files.walk(REPO.resolve("infra/bicep"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".bicep")).sorted().toList()) {
                all.append(Files.readString(f)).append('\n');
            }
        }
        return all.toString();
    }

    @Test
    void theBicepTemplatesSetOnlyDocumentedSettings() throws IOException {
        Set<String> set = matches(Pattern.compile("^\\s*(VIGIL_[A-Z0-9_]+)\\s*:", Pattern.MULTILINE), templates());
        set.addAll(matches(Pattern.compile("name: '(VIGIL_[A-Z0-9_]+)'"), templates()));
        assertThat(set).as("settings the templates give the apps").contains("VIGIL_MODE", "VIGIL_AZURE_COSMOS_ENDPOINT",
                "VIGIL_AZURE_EVENTGRID_ENDPOINT", "VIGIL_AZURE_KEYVAULT_URI", "VIGIL_AZURE_BLOB_ENDPOINT",
                "VIGIL_AZURE_CLIENT_ID");
        assertThat(documented()).containsAll(set);
    }

    @Test
    void everyPlatformSettingTheTemplatesSetIsDocumented() throws IOException {
        Set<String> platform = matches(Pattern.compile("\\{ name: '([A-Za-z_][A-Za-z0-9_.]*)', value:"), templates());
        assertThat(platform).as("app settings in the templates").contains("FUNCTIONS_WORKER_RUNTIME",
                "APPLICATIONINSIGHTS_AUTHENTICATION_STRING", "AzureWebJobsStorage__clientId");
        String doc = Files.readString(REPO.resolve("docs/settings.md"));
        assertThat(platform).allSatisfy(name -> assertThat(doc).as("docs/settings.md").contains("`" + name + "`"));
    }

    @Test
    void theLocalSettingsExamplesAreValidAndUseOnlyDocumentedSettings() throws IOException {
        Set<String> documented = documented();
        for (String app : new String[] {"scoring", "control"}) {
            Path example = REPO.resolve("functions/" + app + "/local.settings.json.example");
            JsonNode json = Json.readTree(example.toString(), Files.readAllBytes(example));
            assertThat(json.path("Values").path("FUNCTIONS_WORKER_RUNTIME").asText()).isEqualTo("java");
            json.path("Values").fieldNames().forEachRemaining(name -> {
                if (name.startsWith("VIGIL_")) {
                    assertThat(documented).as(example + " uses " + name).contains(name);
                }
            });
            assertThat(json.path("Values").path("VIGIL_MODE").asText()).isEqualTo("azure");
        }
    }
}
