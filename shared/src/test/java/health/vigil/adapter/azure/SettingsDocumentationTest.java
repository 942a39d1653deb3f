package health.vigil.adapter.azure;

import static org.assertj.core.api.Assertions.assertThat;

import static org.assertj.core.api.Assertions.assertThatCode;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.config.VigilConfig;
import health.vigil.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/settings.md is the one list of setting names the Bicep templates follow: it must name every setting the
 * code reads, and nothing the code does not read; the Bicep templates and the local.settings.json examples may use
 * only listed names, and every Functions host or platform setting the templates set is listed too. Every setting the
 * functions read is set by the templates, else listed as local only: an app setting the templates do not set is lost
 * at the next deployment, which replaces them all.
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

    /** Setting names as string literals in the code the Function Apps run: shared and the functions' modules. */
    private static Set<String> readByFunctions() throws IOException {
        Set<String> names = new TreeSet<>();
        for (Path root : List.of(REPO.resolve("shared"), REPO.resolve("functions"))) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path file : files.filter(p -> p.toString().endsWith(".java"))
                        .filter(p -> p.toString().contains("/src/main/java/"))
                        .toList()) {
                    names.addAll(matches(SETTING, Files.readString(file)));
                }
            }
        }
        return names;
    }

    /** The "apps" column of each setting the apps read (the tables before the command line's): where it is read. */
    private static Map<String, String> documentedApps() throws IOException {
        String doc = Files.readString(REPO.resolve("docs/settings.md"));
        Map<String, String> apps = new TreeMap<>();
        Matcher row = Pattern.compile("(?m)^\\| `(VIGIL_[A-Z0-9_]+)` \\| ([^|]+) \\|")
                .matcher(doc.substring(0, doc.indexOf("## Command line")));
        while (row.find()) {
            apps.put(row.group(1), row.group(2).trim());
        }
        return apps;
    }

    private static Set<String> setByTemplates() throws IOException {
        Set<String> set = matches(Pattern.compile("^\\s*(VIGIL_[A-Z0-9_]+)\\s*:", Pattern.MULTILINE), templates());
        set.addAll(matches(Pattern.compile("name: '(VIGIL_[A-Z0-9_]+)'"), templates()));
        return set;
    }

    @Test
    void everySettingTheFunctionsReadIsSetByTheTemplatesOrIsLocalOnly() throws IOException {
        Set<String> read = readByFunctions();
        assertThat(read).contains("VIGIL_MONITORING_SETTLE_SECONDS", "VIGIL_MAX_BODY_BYTES", "VIGIL_HOME");
        Set<String> set = setByTemplates();
        Map<String, String> apps = documentedApps();
        assertThat(read).allSatisfy(name -> {
            if (!set.contains(name)) {
                assertThat(apps.get(name)).as(name + " is not set by the templates, so docs/settings.md must say it is"
                        + " read only in local runs").isNotNull().contains("local");
            }
        });
    }

    /**
     * A setting the templates take from a whole-number parameter: the parameter's default gives what the code gives
     * when the setting is unset, and every value the parameter allows is one the code starts with, so a deployment
     * the template accepts never stops the apps at start-up.
     */
    @Test
    void everyWholeNumberSettingParameterAllowsOnlyValuesTheCodeAccepts() throws IOException {
        String main = Files.readString(REPO.resolve("infra/bicep/main.bicep"));
        Matcher setting = Pattern.compile("(?m)^\\s+(VIGIL_[A-Z0-9_]+): string\\((\\w+)\\)$").matcher(main);
        Set<String> checked = new TreeSet<>();
        while (setting.find()) {
            String name = setting.group(1);
            String param = setting.group(2);
            Matcher decl = Pattern.compile("(?m)((?:^@.*\\n)*)^param " + param + " int = (\\d+)$").matcher(main);
            assertThat(decl.find()).as("param " + param + " int with a default").isTrue();
            String decorators = decl.group(1);
            Matcher min = Pattern.compile("@minValue\\((\\d+)\\)").matcher(decorators);
            assertThat(min.find()).as(param + " has a @minValue").isTrue();
            Matcher max = Pattern.compile("@maxValue\\((\\d+)\\)").matcher(decorators);
            String highest = max.find() ? max.group(1) : String.valueOf(Long.MAX_VALUE);
            for (String value : List.of(min.group(1), highest, decl.group(2))) {
                assertThatCode(() -> settingsWith(name, value)).as(param + " allows " + value + " for " + name)
                        .doesNotThrowAnyException();
            }
            assertThat(settingsWith(name, decl.group(2))).as(param + "'s default is the code's default for " + name)
                    .isEqualTo(settingsWith(null, null));
            checked.add(name);
        }
        assertThat(checked).contains("VIGIL_PREDICTION_RETENTION_DAYS", "VIGIL_MONITORING_SETTLE_SECONDS",
                "VIGIL_MONITORING_AWAIT_SECONDS", "VIGIL_AZURE_COSMOS_PREDICTION_SHARDS");
    }

    /** What the code makes of one setting (none: every default), as VigilConfig and the Azure adapters read it. */
    private static List<Object> settingsWith(String name, String value) {
        VigilConfig config = VigilConfig.fromEnvironment(name == null ? Map.of() : Map.of(name, value));
        VigilConfig withoutAzure = new VigilConfig(config.mode(), config.home(), config.limits(),
                config.predictionRetention(), Map.of(), config.predictionLogDurability(), config.monitoringSettling(),
                config.monitoringAwaitLimit());
        return List.of(withoutAzure, AzureSettings.from(config));
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
