package health.vigil.adapter.azure;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import health.vigil.port.ArtifactStore;
import health.vigil.port.SecretProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * The Bicep templates give the code everything it uses in Azure — the Cosmos DB containers with the partition
 * keys the adapters write, the blob containers, the Key Vault secret, the functions the event subscriptions
 * name, and every access grant the code's calls need — and docs/azure.md lists exactly the grants the
 * templates make. (infra/checks covers the templates' syntax and their internal consistency.)
 */
class AzureTemplatesTest {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Path MODULES = REPO.resolve("infra/bicep/modules");
    private static final Pattern GRANT_ARRAY = Pattern.compile("(?ms)^var (\\w+)Grants = \\[\\n(.*?)^\\]");
    private static final Pattern GRANT = Pattern.compile(
            "\\{ principal: '(\\w+)', role: '([^']+)'(?:, (container|database|key|secret): '([^']+)')? \\}");
    private static final String WRITER_WITHOUT_DELETE = "Vigil Data Writer without delete";
    private static final String COSMOS_READER = "Cosmos DB Built-in Data Reader";
    private static final String BLOB_DATA_OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
    private static final String QUEUE_DATA_CONTRIBUTOR = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
    private static final Pattern DOC_ROW = Pattern.compile("(?m)^\\| ([^|`]+?) \\| ([^|]+?) \\| ([^|]+?) \\|$");

    private static String module(String name) throws IOException {
        return Files.readString(MODULES.resolve(name));
    }

    /** One grant: who, which role, on what (as docs/azure.md names the scope). */
    record Grant(String principal, String role, String scope) implements Comparable<Grant> {
        @Override
        public int compareTo(Grant o) {
            return toString().compareTo(o.toString());
        }
    }

    private static Set<Grant> templateGrants() throws IOException {
        Set<Grant> grants = new TreeSet<>();
        Matcher arrays = GRANT_ARRAY.matcher(module("access.bicep"));
        while (arrays.find()) {
            Matcher g = GRANT.matcher(arrays.group(2));
            while (g.find()) {
                String scope = switch (arrays.group(1)) {
                    case "cosmos" -> "Cosmos DB container `" + g.group(4) + "`";
                    case "blob" -> "container `" + g.group(4) + "`";
                    case "vault" -> "Key Vault";
                    case "secret" -> "secret `" + g.group(4) + "`";
                    case "signingKey" -> "key `" + g.group(4) + "`";
                    case "topic" -> "Event Grid topic";
                    case "insights" -> "Application Insights";
                    case "registry" -> "container registry";
                    default -> throw new AssertionError("unknown grant array " + arrays.group(1) + "Grants");
                };
                grants.add(new Grant(g.group(1), g.group(2), scope));
            }
        }
        return grants;
    }

    private static Set<Grant> documentedGrants() throws IOException {
        String doc = Files.readString(REPO.resolve("docs/azure.md"));
        String section = doc.substring(doc.indexOf("## Identities and roles"));
        section = section.substring(0, section.indexOf("\n\n", section.indexOf("| role |")));
        Set<Grant> grants = new TreeSet<>();
        Matcher row = DOC_ROW.matcher(section);
        while (row.find()) {
            if (row.group(1).equals("role") || row.group(1).startsWith("---")) {
                continue;
            }
            for (String principal : row.group(3).replace("`", "").split(",\\s*")) {
                grants.add(new Grant(principal.trim(), row.group(1).trim(), row.group(2).trim()));
            }
        }
        return grants;
    }

    @Test
    void docsAzureMdListsExactlyTheGrantsTheTemplatesMake() throws IOException {
        Set<Grant> template = templateGrants();
        assertThat(template).hasSizeGreaterThan(10);
        assertThat(documentedGrants()).containsExactlyElementsOf(template);
    }

    @Test
    void everyGrantTheCodeNeedsIsMade() throws IOException {
        Set<Grant> template = templateGrants();
        for (String app : List.of("scoring", "control")) {
            // Both apps read and write the registry, the audit log (refused requests are recorded by both) and the
            // prediction log in Cosmos DB, load packages from `models`, read the pseudonymisation key and send
            // telemetry to Application Insights (local auth is off).
            for (String container : List.of(CosmosRegistryStore.CONTAINER, CosmosAuditStore.CONTAINER,
                    CosmosPredictionLog.CONTAINER)) {
                assertThat(template).filteredOn(g -> g.principal().equals(app)
                        && g.scope().equals("Cosmos DB container `" + container + "`")).as(app + " on " + container)
                        .hasSize(1);
            }
            assertThat(template).contains(
                    new Grant(app, app.equals("control") ? "Storage Blob Data Contributor" : "Storage Blob Data Reader",
                            "container `" + ArtifactStore.MODELS + "`"),
                    new Grant(app, "Key Vault Secrets User", "secret `" + SecretProvider.PSEUDONYMISATION_KEY + "`"),
                    new Grant(app, "Monitoring Metrics Publisher", "Application Insights"),
                    new Grant(app, "AcrPull", "container registry"));
        }
        // Registration and deployments, in the control app, publish Vigil's events; audit exports are written there;
        // it stores outcomes and purges the prediction log (the only deletes in Cosmos DB).
        assertThat(template).contains(
                new Grant("control", WRITER_WITHOUT_DELETE,
                        "Cosmos DB container `" + CosmosOutcomeStore.CONTAINER + "`"),
                new Grant("control", "Cosmos DB Built-in Data Contributor",
                        "Cosmos DB container `" + CosmosPredictionLog.CONTAINER + "`"),
                new Grant("control", "EventGrid Data Sender", "Event Grid topic"),
                new Grant("control", "Key Vault Crypto User", "key `" + KeyVaultAuditSigner.KEY_NAME + "`"),
                new Grant("control", "Storage Blob Data Contributor", "container `" + ArtifactStore.AUDIT_EXPORTS + "`"),
                new Grant("pipeline", "Storage Blob Data Reader", "container `" + ArtifactStore.DATASETS + "`"),
                // POST /datasets stores evaluation datasets and retraining the production data it trained on.
                new Grant("control", "Storage Blob Data Contributor", "container `" + ArtifactStore.DATASETS + "`"),
                // Batch jobs (POST /batches, StartBatchOnUpload, ScoreBatchPartition) read their file and write the
                // plan, checkpoints, results and summary; the retention timer deletes a purged job's input file
                // (BatchRetention), which a reader role cannot.
                new Grant("control", "Storage Blob Data Contributor", "container `" + ArtifactStore.BATCH_INPUT + "`"),
                new Grant("control", "Storage Blob Data Contributor", "container `" + ArtifactStore.BATCH_OUTPUT + "`"),
                new Grant("eventGridTopic", "Storage Blob Data Contributor", "container `event-deadletter`"),
                new Grant("storageTopic", "Storage Blob Data Contributor", "container `event-deadletter`"),
                // An event a control function refuses for good is kept there by the function (RefusedEvents).
                new Grant("control", "Storage Blob Data Contributor", "container `" + ArtifactStore.EVENT_DEADLETTER
                        + "`"));
        // The control app is the only writer of packages (ADR 0010): the pipeline uploads through its route.
        assertThat(template).noneMatch(g -> !g.principal().equals("control") && g.role().equals("Storage Blob Data Contributor")
                && g.scope().equals("container `" + ArtifactStore.MODELS + "`"));
        // Registration (control) keeps each registered package; both apps load versions from there.
        assertThat(template).contains(
                new Grant("control", "Storage Blob Data Contributor", "container `" + ArtifactStore.PACKAGES + "`"),
                new Grant("scoring", "Storage Blob Data Reader", "container `" + ArtifactStore.PACKAGES + "`"));
        // The apps read one secret, the pseudonymisation key: no grant reaches the vault's other secrets.
        assertThat(template).filteredOn(g -> g.role().startsWith("Key Vault Secrets")).isNotEmpty()
                .allMatch(g -> g.scope().equals("secret `" + SecretProvider.PSEUDONYMISATION_KEY + "`"));
        assertThat(template).noneMatch(g -> g.scope().equals("Key Vault"));
        // Nothing on a whole storage account, and the scoring app never sees datasets or exports.
        assertThat(template).noneMatch(g -> g.principal().equals("scoring") && g.scope().startsWith("container `")
                && !g.scope().equals("container `" + ArtifactStore.MODELS + "`")
                && !g.scope().equals("container `" + ArtifactStore.PACKAGES + "`"));
    }

    /**
     * No identity can delete from the audit log, the registry or the outcomes: their grants are the custom role,
     * whose data actions are exactly the calls the adapters make there (no delete, no wildcard), and only the
     * control app may delete in the prediction log (its retention purge). The scoring app never sees outcomes.
     */
    @Test
    void nothingCanDeleteFromTheAuditLogRegistryOrOutcomes() throws IOException {
        String access = module("access.bicep");
        Matcher role = Pattern.compile("(?s)resource cosmosWriterRole 'Microsoft\\.DocumentDB/databaseAccounts"
                + "/sqlRoleDefinitions@[0-9-]+' = \\{\\n  parent: cosmos\\n  name: cosmosWriterRoleName\\n"
                + "(.*?)\\n\\}\\n")
                .matcher(access);
        assertThat(role.find()).isTrue();
        assertThat(role.group(1)).contains("roleName: '" + WRITER_WITHOUT_DELETE + "'").contains("type: 'CustomRole'");
        Matcher action = Pattern.compile("'(Microsoft\\.DocumentDB/[^']+)'").matcher(role.group(1));
        List<String> actions = new ArrayList<>();
        while (action.find()) {
            actions.add(action.group(1).replace("Microsoft.DocumentDB/databaseAccounts/", ""));
        }
        assertThat(actions).containsExactlyInAnyOrder("readMetadata", "sqlDatabases/containers/executeQuery",
                "sqlDatabases/containers/items/read", "sqlDatabases/containers/items/create",
                "sqlDatabases/containers/items/replace", "sqlDatabases/containers/items/upsert");
        assertThat(access).contains("'" + WRITER_WITHOUT_DELETE + "': cosmosWriterRoleName")
                .contains("roleDefinitionId: '${cosmos.id}/sqlRoleDefinitions/${roles[g.role]}'")
                .contains("scope: '${cosmos.id}/dbs/${cosmosDatabase}/colls/${g.container}'")
                .contains("var cosmosDatabase = '" + AzureSettings.DEFAULT_DATABASE + "'");

        Set<Grant> template = templateGrants();
        for (String container : List.of(CosmosAuditStore.CONTAINER, CosmosRegistryStore.CONTAINER,
                CosmosOutcomeStore.CONTAINER)) {
            assertThat(template).filteredOn(g -> g.scope().equals("Cosmos DB container `" + container + "`"))
                    .as(container).isNotEmpty()
                    .allMatch(g -> g.role().equals(WRITER_WITHOUT_DELETE) || g.role().equals(COSMOS_READER));
        }
        assertThat(template).filteredOn(g -> g.role().equals("Cosmos DB Built-in Data Contributor")).containsExactly(
                new Grant("control", "Cosmos DB Built-in Data Contributor",
                        "Cosmos DB container `" + CosmosPredictionLog.CONTAINER + "`"));
        assertThat(template).noneMatch(g -> g.principal().equals("scoring")
                && g.scope().equals("Cosmos DB container `" + CosmosOutcomeStore.CONTAINER + "`"));
        assertThat(template).noneMatch(g -> g.scope().startsWith("database"));
    }

    /**
     * The scoring app reads the registry and never writes it (registration, gates, approvals, deployments and canary
     * ramps run in the control app): its functions reach the platform only for scoring, the read-only registry and
     * explanations, and it holds the built-in reader role on the registry's container, so a stolen identity of the app
     * that faces the callers cannot point a deployment at another version or rewrite a version's stage.
     */
    @Test
    void theScoringAppOnlyReadsTheRegistry() throws IOException {
        Set<String> used = new TreeSet<>();
        try (Stream<Path> files = Files.walk(REPO.resolve("functions/scoring/src/main/java"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Matcher call = Pattern.compile("\\bplatform(?:\\(\\))?\\.(\\w+)\\(").matcher(Files.readString(file));
                while (call.find()) {
                    used.add(call.group(1));
                }
            }
        }
        assertThat(used).contains("scoring").isSubsetOf("scoring", "registry", "explanations");
        assertThat(templateGrants()).filteredOn(g -> g.principal().equals("scoring")
                        && g.scope().equals("Cosmos DB container `" + CosmosRegistryStore.CONTAINER + "`"))
                .containsExactly(new Grant("scoring", COSMOS_READER,
                        "Cosmos DB container `" + CosmosRegistryStore.CONTAINER + "`"));
        assertThat(module("access.bicep")).contains("'" + COSMOS_READER + "': '00000000-0000-0000-0000-000000000001'");
    }

    @Test
    void cosmosContainersHaveThePartitionKeysTheAdaptersWrite() throws IOException {
        String cosmos = module("cosmos.bicep");
        assertThat(cosmos).contains("var databaseName = '" + AzureSettings.DEFAULT_DATABASE + "'");
        for (String[] container : new String[][] {
                {CosmosRegistryStore.CONTAINER, CosmosRegistryStore.PARTITION_PROPERTY},
                {CosmosAuditStore.CONTAINER, CosmosAuditStore.PARTITION_PROPERTY},
                {CosmosPredictionLog.CONTAINER, CosmosPredictionLog.PARTITION_PROPERTY}}) {
            assertThat(cosmos).containsPattern("id: '" + container[0] + "'\\n\\s+partitionKey: \\{ paths: \\[ '/"
                    + container[1] + "' \\], kind: 'Hash' \\}");
        }
        // Records carry their own ttl; index documents carry none and must never expire.
        assertThat(cosmos).contains("defaultTtl: -1");
    }

    /** Every work queue the code puts messages on is a queue of the control app's own host storage account. */
    @Test
    void workQueuesAreTheOnesTheCodeUses() throws IOException {
        Matcher m = Pattern.compile("resource \\w+ 'Microsoft\\.Storage/storageAccounts/queueServices/queues@[0-9-]+' = \\{"
                + "\\s*parent: hostQueues\\[control\\]\\s*name: '([a-z0-9-]+)'").matcher(module("functionapps.bicep"));
        List<String> queues = new java.util.ArrayList<>();
        while (m.find()) {
            queues.add(m.group(1));
        }
        assertThat(queues).containsExactlyInAnyOrder(health.vigil.port.WorkQueue.BATCH_PARTITIONS,
                health.vigil.port.WorkQueue.MONITORING_PARTITIONS);
    }

    /**
     * Each app runs its host on a storage account of its own and is granted that one only: a host's keys are in
     * it (its master key calls any of the app's functions through the admin API) and the control app's work queues.
     */
    @Test
    void eachAppHasAHostStorageAccountOfItsOwn() throws IOException {
        String apps = module("functionapps.bicep");
        assertThat(apps).contains("hostStorage: names.scoringHostStorage")
                .contains("hostStorage: names.functionsStorage")
                .contains("resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' = [for app in apps: {\n"
                        + "  name: app.hostStorage\n")
                .contains("{ name: 'AzureWebJobsStorage__accountName', value: app.hostStorage }")
                .contains("  principalId: apps[g.app].identity.principalId\n")
                .contains("  scope: hostStorage[g.app]\n")
                .doesNotContainPattern("\\bfunctionsStorage\\.\\w");
        Matcher names = Pattern.compile("(scoringHostStorage|functionsStorage): take\\('\\$\\{prefix\\}(\\w+)\\$")
                .matcher(Files.readString(REPO.resolve("infra/bicep/main.bicep")));
        Set<String> infixes = new TreeSet<>();
        while (names.find()) {
            infixes.add(names.group(2));
        }
        assertThat(infixes).as("the two accounts' names").hasSize(2);
    }

    /**
     * The host keeps its keys, leases and timer schedules in blobs, so each app holds Storage Blob Data Owner on its
     * host storage account; a queue role only an app with a queue trigger holds (the control app, whose work queues
     * are there too). The scoring app has no queue trigger and puts no message, and holds no queue role.
     */
    @Test
    void onlyAnAppWithQueueTriggersHoldsAQueueRoleOnItsHostStorage() throws IOException {
        String apps = module("functionapps.bicep");
        assertThat(apps).containsPattern(
                "(?s)var apps = \\[\\n  \\{\\n    key: 'scoring'\\n.*?\\n  \\{\\n    key: 'control'\\n")
                .contains("var scoring = 0\nvar control = 1\n");
        Matcher roleVars = Pattern.compile("var (\\w+) = '([0-9a-f-]{36})'").matcher(apps);
        Map<String, String> roles = new TreeMap<>();
        while (roleVars.find()) {
            roles.put(roleVars.group(1), roleVars.group(2));
        }
        Matcher listed = Pattern.compile("(?s)var hostStorageGrants = \\[\\n(.*?)\\n\\]\\n").matcher(apps);
        assertThat(listed.find()).as("the host storage grants in functionapps.bicep").isTrue();
        Matcher grant = Pattern.compile("\\{ app: (scoring|control), role: (\\w+) \\}").matcher(listed.group(1));
        List<String> granted = new ArrayList<>();
        while (grant.find()) {
            granted.add(grant.group(1) + " " + roles.get(grant.group(2)));
        }
        List<String> expected = new ArrayList<>();
        for (String app : List.of("scoring", "control")) {
            expected.add(app + " " + BLOB_DATA_OWNER);
            if (!triggeredFunctions(REPO.resolve("functions/" + app + "/src/main/java"), "QueueTrigger").isEmpty()) {
                expected.add(app + " " + QUEUE_DATA_CONTRIBUTOR);
            }
        }
        assertThat(expected).as("the control app's queue triggers").contains("control " + QUEUE_DATA_CONTRIBUTOR);
        assertThat(granted).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(apps).contains("resource hostStorageAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01'"
                + " = [for g in hostStorageGrants: {\n");
    }

    /**
     * With private networking an app reaches its host storage account through private endpoints, one per storage
     * service it uses there, and no more: the host with an identity-based AzureWebJobsStorage uses blobs (keys, leases,
     * timer schedules); queues only an app with a queue trigger uses (the control app, whose work queues are there).
     * The scoring app has none and holds no queue role, so a queue endpoint on its account would serve nothing.
     */
    @Test
    void eachHostStorageAccountHasAPrivateEndpointForEachServiceItsAppUses() throws IOException {
        String apps = module("functionapps.bicep");
        assertThat(apps).contains("var scoring = 0\nvar control = 1\n")
                .contains("output hostStorageIds array = [for (app, i) in apps: hostStorage[i].id]\n");
        Map<String, String> accounts = Map.of("0", "scoringHostStorage", "1", "functionsStorage");
        Map<String, String> appOf = Map.of("0", "scoring", "1", "control");
        Matcher endpoint = Pattern.compile("\\{ name: '\\$\\{names\\.(\\w+)\\}-(\\w+)', "
                + "resourceId: apps\\.outputs\\.hostStorageIds\\[(\\d)\\], groupId: '(\\w+)', "
                + "zoneId: network\\.outputs\\.zoneIds\\.(\\w+) \\}")
                .matcher(Files.readString(REPO.resolve("infra/bicep/main.bicep")));
        List<String> endpoints = new ArrayList<>();
        while (endpoint.find()) {
            assertThat(endpoint.group(1)).as("the account of endpoint %s", endpoint.group())
                    .isEqualTo(accounts.get(endpoint.group(3)));
            assertThat(List.of(endpoint.group(2), endpoint.group(5))).as("endpoint %s", endpoint.group())
                    .containsOnly(endpoint.group(4));
            endpoints.add(appOf.get(endpoint.group(3)) + " " + endpoint.group(4));
        }
        List<String> expected = new ArrayList<>();
        for (String app : List.of("scoring", "control")) {
            expected.add(app + " blob");
            if (!triggeredFunctions(REPO.resolve("functions/" + app + "/src/main/java"), "QueueTrigger").isEmpty()) {
                expected.add(app + " queue");
            }
        }
        assertThat(expected).as("the control app's queue triggers").contains("control queue");
        assertThat(endpoints).containsExactlyInAnyOrderElementsOf(expected);
    }

    /**
     * Every private DNS zone network.bicep creates and links to the network resolves the name of at least one private
     * endpoint, in a zone named for that endpoint's sub-resource: a zone no endpoint registers in only answers
     * "no such name" for its service from inside the network.
     */
    @Test
    void everyPrivateDnsZoneIsUsedByAPrivateEndpoint() throws IOException {
        String network = module("network.bicep");
        Matcher list = Pattern.compile("(?s)\nvar zoneNames = \\[\n(.*?)\n\\]\n").matcher(network);
        assertThat(list.find()).isTrue();
        List<String> zones = new ArrayList<>();
        Matcher zone = Pattern.compile("'(privatelink\\.[^']+)'").matcher(list.group(1));
        while (zone.find()) {
            zones.add(zone.group(1));
        }
        Map<String, String> zoneOfKey = new TreeMap<>();
        Matcher output = Pattern.compile("(?m)^  (\\w+): zones\\[(\\d+)\\]\\.outputs\\.resourceId$").matcher(network);
        while (output.find()) {
            zoneOfKey.put(output.group(1), zones.get(Integer.parseInt(output.group(2))));
        }
        assertThat(zoneOfKey.values()).as("the zoneIds output").containsExactlyInAnyOrderElementsOf(zones);

        Map<String, String> zonePrefixOfGroup = Map.of("Sql", "privatelink.documents.", "blob", "privatelink.blob.",
                "queue", "privatelink.queue.", "vault", "privatelink.vaultcore.", "topic", "privatelink.eventgrid.",
                "registry", "privatelink.azurecr.");
        Matcher endpoint = Pattern.compile("groupId: '(\\w+)', zoneId: network\\.outputs\\.zoneIds\\.(\\w+) \\}")
                .matcher(Files.readString(REPO.resolve("infra/bicep/main.bicep")));
        Set<String> used = new TreeSet<>();
        while (endpoint.find()) {
            String zoneName = zoneOfKey.get(endpoint.group(2));
            assertThat(zoneName).as("the zone of endpoint %s", endpoint.group())
                    .startsWith(zonePrefixOfGroup.get(endpoint.group(1)));
            used.add(zoneName);
        }
        assertThat(used).as("zones private endpoints register in").containsExactlyInAnyOrderElementsOf(zones);
    }

    /**
     * The control app's queue triggers read the work queues on its host storage account (AzureWebJobsStorage), whose
     * firewall denies public networks with private networking. The scale controller reads a queue's length from
     * outside the network, so there it would see no backlog and never add an instance: with runtime scale monitoring
     * the app's own host, inside the network, reports the lengths. It is site configuration, which a swap moves with
     * the code, so both slots carry it. The Storage extension must be 3.0.10 or later for it (5.1.0 for target-based
     * scaling of queues): the extension bundle's major version 3 and later carry the Storage extension 5.
     */
    @Test
    void anAppWithQueueTriggersBehindTheStorageFirewallScalesOnWhatItsHostReports() throws IOException {
        List<String> queueApps = new ArrayList<>();
        for (String app : List.of("scoring", "control")) {
            Path sources = REPO.resolve("functions/" + app + "/src/main/java");
            if (triggeredFunctions(sources, "QueueTrigger").isEmpty()) {
                continue;
            }
            queueApps.add(app);
            List<String> connections = new ArrayList<>();
            try (Stream<Path> files = Files.walk(sources)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    Matcher trigger = Pattern.compile("@QueueTrigger\\(([^)]*)\\)").matcher(Files.readString(f));
                    while (trigger.find()) {
                        Matcher connection = Pattern.compile("connection\\s*=\\s*\"(\\w+)\"").matcher(trigger.group(1));
                        connections.add(connection.find() ? connection.group(1) : "(none)");
                    }
                }
            }
            assertThat(connections).as("the %s app's queue triggers' connections", app).isNotEmpty()
                    .containsOnly("AzureWebJobsStorage");
            Path hostJson = REPO.resolve("functions/" + app + "/host.json");
            JsonNode host = Json.readTree(hostJson.toString(), Files.readAllBytes(hostJson));
            String bundle = host.path("extensionBundle").path("version").asText();
            Matcher floor = Pattern.compile("^\\[(\\d+)\\.").matcher(bundle);
            assertThat(floor.find()).as("the %s app's extension bundle range", app).isTrue();
            assertThat(Integer.parseInt(floor.group(1))).as("the %s app's lowest extension bundle", app)
                    .isGreaterThanOrEqualTo(3);
        }
        assertThat(queueApps).containsExactly("control");

        String apps = module("functionapps.bicep");
        assertThat(apps).contains("    networkAcls: {\n      defaultAction: publicNetworkAccess ? 'Allow' : 'Deny'\n")
                .contains("  name: app.hostStorage\n");
        assertThat(Files.readString(REPO.resolve("infra/bicep/main.bicep")))
                .contains("    publicNetworkAccess: !privateNetworking\n    registryLoginServer: ");
        Matcher siteConfig = Pattern.compile("(?s)\\nvar siteProperties = \\[for \\(app, i\\) in apps: \\{\\n.*?"
                + "\\n  siteConfig: \\{\\n(.*?)\\n  \\}\\n\\}\\]\\n").matcher(apps);
        assertThat(siteConfig.find()).as("the apps' site configuration in functionapps.bicep").isTrue();
        assertThat(siteConfig.group(1)).contains("\n    functionsRuntimeScaleMonitoringEnabled: i == control\n");
        for (String resource : List.of("sites", "stagingSlots")) {
            assertThat(apps).containsPattern("(?s)resource " + resource
                    + " 'Microsoft\\.Web/sites[/a-z]*@[0-9-]+' = \\[for \\(app, i\\) in apps: \\{\\n(?:(?!\\n\\}\\]).)*"
                    + "siteConfig: union\\(siteProperties\\[i\\]\\.siteConfig, ");
        }
    }

    /**
     * Both slots of an app share its host storage account, where the host keeps its keys, timer schedules and locks
     * under its host ID. Left to itself, the host takes the first 32 characters of the slot's name, trailing dashes
     * dropped: the same ID for an app and its `staging` slot as main.bicep names them, a collision on which the
     * Functions host stops. Each slot has an ID of its own, which stays with the slot when the slots swap; the
     * production slot's is the one the host derived before, so its keys and schedules stay where they are.
     */
    @Test
    void eachSlotOfAnAppRunsItsHostUnderAnIdOfItsOwn() throws IOException {
        String main = Files.readString(REPO.resolve("infra/bicep/main.bicep"));
        Matcher prefix = Pattern.compile("param prefix string = '(\\w+)'").matcher(main);
        assertThat(prefix.find()).isTrue();
        Matcher appName = Pattern.compile(
                "(scoring|control)App: '\\$\\{prefix\\}-(\\w+)-\\$\\{environment\\}-\\$\\{suffix\\}'").matcher(main);
        List<String> keys = new ArrayList<>();
        while (appName.find()) {
            keys.add(appName.group(2));
        }
        assertThat(keys).containsExactly("scoring", "control");
        String suffix = "a".repeat(13); // uniqueString's length
        for (String environment : List.of("dev", "test", "prod")) {
            for (String key : keys) {
                String name = prefix.group(1) + "-" + key + "-" + environment + "-" + suffix;
                assertThat(defaultHostId(name + "-staging")).as("the default host IDs of %s and its staging slot", name)
                        .isEqualTo(defaultHostId(name));
            }
        }

        String apps = module("functionapps.bicep");
        Matcher ids = Pattern.compile("var slotSettings = \\[for \\(app, i\\) in apps: \\{\\n"
                + "  production: concat\\(\\[ \\{ name: 'AzureFunctionsWebHost__hostid', value: ([^\\n]+) \\} \\],"
                + "\\n.*\\n"
                + "  staging: concat\\(\\[ \\{ name: 'AzureFunctionsWebHost__hostid', value: ([^\\n]+) \\} \\],\\n")
                .matcher(apps);
        assertThat(ids.find()).as("the slots' host IDs in functionapps.bicep").isTrue();
        assertThat(ids.group(1)).isEqualTo("toLower(take(app.name, 32))");
        for (String key : keys) {
            String name = prefix.group(1) + "-" + key + "-prod-" + suffix;
            String staging = ids.group(2).replace("${app.key}", key).replace("${uniqueString(app.name)}", suffix);
            assertThat(staging).matches("'[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?'").doesNotContain("--")
                    .isNotEqualTo("'" + defaultHostId(name) + "'");
        }
        for (String[] resource : new String[][] {{"sites", "production"}, {"stagingSlots", "staging"}}) {
            assertThat(apps).containsPattern("(?s)resource " + resource[0]
                    + " 'Microsoft\\.Web/sites[/a-z]*@[0-9-]+' = \\[for \\(app, i\\) in apps: \\{\\n(?:(?!\\n\\}\\]).)*"
                    + "appSettings: concat\\(siteProperties\\[i\\]\\.siteConfig\\.appSettings, slotSettings\\[i\\]\\."
                    + resource[1] + "\\)");
        }
        assertThat(apps).contains("  parent: sites[i]\n  name: 'slotConfigNames'\n  properties: {\n"
                + "    appSettingNames: [for setting in slotSettings[i].production: setting.name]\n");
    }

    /**
     * The staging slot shares the production slot's host storage account, work queues and stores, and holds the code
     * under test before a swap and the code swapped out after it: the control app's timer- and queue-triggered
     * functions run in the production slot only, or each timer would run twice (once with the old code) and the old
     * code would take batch and monitoring partitions off the queues. The scoring app has none.
     */
    @Test
    void onlyTheProductionSlotRunsTimerAndQueueFunctions() throws IOException {
        Path control = REPO.resolve("functions/control/src/main/java");
        List<String> background = new ArrayList<>(triggeredFunctions(control, "TimerTrigger"));
        background.addAll(triggeredFunctions(control, "QueueTrigger"));
        assertThat(background).contains("DriftCheck", "ScoreBatchPartition");
        Path scoring = REPO.resolve("functions/scoring/src/main/java");
        assertThat(triggeredFunctions(scoring, "TimerTrigger")).isEmpty();
        assertThat(triggeredFunctions(scoring, "QueueTrigger")).isEmpty();

        String apps = module("functionapps.bicep");
        Matcher listed = Pattern.compile("(?s)var backgroundFunctions = \\[\\n(.*?)\\n\\]\\n").matcher(apps);
        assertThat(listed.find()).as("the control app's background functions in functionapps.bicep").isTrue();
        assertThat(listed.group(1).replace("'", "").trim().split("\\s+"))
                .containsExactlyInAnyOrderElementsOf(background);
        // The host on Linux reads the setting with underscores: app settings there cannot hold dots.
        assertThat(apps).contains("var backgroundFunctionsOn = [for f in backgroundFunctions: "
                        + "{ name: 'AzureWebJobs_${f}_Disabled', value: 'false' }]",
                "var backgroundFunctionsOff = [for f in backgroundFunctions: "
                        + "{ name: 'AzureWebJobs_${f}_Disabled', value: 'true' }]")
                .doesNotContain("AzureWebJobs.");
        String hostIdThenControlOnly = ": concat\\(\\[[^\\n]*\\],\\n    i == control \\? ";
        assertThat(apps).containsPattern("  production" + hostIdThenControlOnly + "backgroundFunctionsOn : \\[\\]\\)")
                .containsPattern("  staging" + hostIdThenControlOnly + "backgroundFunctionsOff : \\[\\]\\)");
        // Slot settings: a swap leaves each value with its slot (the names are the production slot's settings').
        assertThat(apps).contains("appSettingNames: [for setting in slotSettings[i].production: setting.name]");
    }

    /** The host ID the Functions host derives from a slot's name when none is set. */
    private static String defaultHostId(String slotName) {
        return slotName.toLowerCase(java.util.Locale.ROOT).substring(0, Math.min(32, slotName.length()))
                .replaceAll("-+$", "");
    }

    /**
     * Every blob container the code writes or deletes in with a direct store call is one the control app may
     * write and delete in (the scoring app writes no blob): a reader role there fails only in Azure, since neither
     * the file store nor Azurite checks roles.
     */
    @Test
    void everyContainerTheCodeWritesOrDeletesInIsGrantedToTheControlApp() throws Exception {
        Pattern call = Pattern.compile("\\.(delete|put|putUndigested|replace)\\(\\s*ArtifactStore\\.([A-Z_]+)");
        Set<String> written = new TreeSet<>();
        List<Path> roots = new ArrayList<>(List.of(REPO.resolve("shared/src/main/java")));
        try (Stream<Path> apps = Files.list(REPO.resolve("functions"))) {
            apps.map(app -> app.resolve("src/main/java")).filter(Files::isDirectory).forEach(roots::add);
        }
        for (Path root : roots) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    Matcher m = call.matcher(Files.readString(file));
                    while (m.find()) {
                        written.add((String) ArtifactStore.class.getField(m.group(2)).get(null));
                    }
                }
            }
        }
        assertThat(written).contains(ArtifactStore.BATCH_INPUT, ArtifactStore.BATCH_OUTPUT, ArtifactStore.MONITORING,
                ArtifactStore.EVENT_DEADLETTER);
        Set<Grant> template = templateGrants();
        for (String container : written) {
            assertThat(template).as(container)
                    .contains(new Grant("control", "Storage Blob Data Contributor", "container `" + container + "`"));
        }
    }

    /**
     * A blob deleted or replaced on a versioned account stays as a previous version until something removes it: the
     * lifecycle policy deletes previous versions in every container but the immutable ones and the dead letters, so
     * a batch file purged by retention or a replaced outcome file does not stay readable for ever.
     */
    @Test
    void previousVersionsOfEveryMutableContainerAreDeleted() throws IOException {
        String storage = module("storage.bicep");
        assertThat(storage).contains("isVersioningEnabled: true");
        Matcher listed = Pattern.compile("var versionsDeletedContainers = \\[ (.*) \\]").matcher(storage);
        assertThat(listed.find()).isTrue();
        Matcher all = Pattern.compile("var containerNames = \\[ (.*) \\]").matcher(storage);
        assertThat(all.find()).isTrue();
        Set<String> expected = new TreeSet<>(List.of(all.group(1).replace("'", "").split(", ")));
        expected.removeAll(List.of(ArtifactStore.PACKAGES, ArtifactStore.AUDIT_EXPORTS, "event-deadletter"));
        assertThat(listed.group(1).replace("'", "").split(", ")).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(storage).containsPattern("(?s)resource previousVersions 'Microsoft\\.Storage/storageAccounts"
                + "/managementPolicies@[0-9-]+' = \\{\\n  parent: account\\n  name: 'default'.*?enabled: true\\n"
                + "\\s+type: 'Lifecycle'.*?prefixMatch: \\[for name in versionsDeletedContainers: '\\$\\{name\\}/'\\]"
                + ".*?version: \\{ delete: \\{ daysAfterCreationGreaterThan: 1 \\} \\}");
    }

    @Test
    void blobContainersAreTheOnesTheCodeUsesPlusTheDeadLetters() throws IOException {
        Matcher m = Pattern.compile("var containerNames = \\[ (.*) \\]").matcher(module("storage.bicep"));
        assertThat(m.find()).isTrue();
        assertThat(m.group(1).replace("'", "").split(", ")).containsExactlyInAnyOrder(
                ArtifactStore.MODELS, ArtifactStore.PACKAGES, ArtifactStore.DATASETS, ArtifactStore.AUDIT_EXPORTS,
                ArtifactStore.OUTCOMES, ArtifactStore.MONITORING, ArtifactStore.BATCH_INPUT, ArtifactStore.BATCH_OUTPUT,
                "event-deadletter");
        assertThat(module("eventgrid-subscriptions.bicep")).contains("blobContainerName: 'event-deadletter'")
                .contains("deadLetterWithResourceIdentity: deadLetter").doesNotContain("deadLetterDestination: {\n      endpointType");
    }

    /**
     * Registered packages and audit exports cannot be overwritten or deleted in Azure: each container has a
     * time-based immutability policy (its parent resolved through the container list, as Bicep indexes it), and
     * the registered packages' container is created with version-level immutability, so every blob version written
     * there is under the policy; the retention comes from main.bicep's parameter.
     */
    @Test
    void registeredPackagesAndAuditExportsAreImmutable() throws IOException {
        String storage = module("storage.bicep");
        Matcher names = Pattern.compile("var containerNames = \\[ (.*) \\]").matcher(storage);
        assertThat(names.find()).isTrue();
        List<String> containers = List.of(names.group(1).replace("'", "").split(", "));
        Matcher versioned = Pattern.compile("var versionImmutableContainers = \\[ (.*) \\]").matcher(storage);
        assertThat(versioned.find()).isTrue();
        assertThat(versioned.group(1).replace("'", "").split(", ")).containsExactly(ArtifactStore.PACKAGES);
        assertThat(storage).containsPattern("properties: contains\\(versionImmutableContainers, name\\)\\n\\s+\\? \\{"
                + " publicAccess: 'None', immutableStorageWithVersioning: \\{ enabled: true \\} \\}");
        assertThat(storage).contains("isVersioningEnabled: true"); // version-level immutability requires it

        Matcher policies = Pattern.compile("(?s)resource \\w+ 'Microsoft\\.Storage/storageAccounts/blobServices/containers"
                + "/immutabilityPolicies@[0-9-]+' = \\{\\n  parent: containers\\[(\\d)\\]\\n  name: 'default'\\n"
                + "  properties: \\{\\n    immutabilityPeriodSinceCreationInDays: (\\w+)\\n"
                + "    allowProtectedAppendWrites: false").matcher(storage);
        java.util.Map<String, String> periodByContainer = new java.util.TreeMap<>();
        while (policies.find()) {
            periodByContainer.put(containers.get(Integer.parseInt(policies.group(1))), policies.group(2));
        }
        assertThat(periodByContainer).containsExactlyInAnyOrderEntriesOf(java.util.Map.of(
                ArtifactStore.PACKAGES, "registeredPackageImmutabilityDays",
                ArtifactStore.AUDIT_EXPORTS, "auditExportImmutabilityDays"));
        assertThat(Files.readString(REPO.resolve("infra/bicep/main.bicep")))
                .containsPattern("@minValue\\(1\\)\\nparam registeredPackageImmutabilityDays int = \\d+")
                .contains("registeredPackageImmutabilityDays: registeredPackageImmutabilityDays");
    }

    @Test
    void thePseudonymisationKeyIsProvisionedUnderTheNameTheCodeReads() throws IOException {
        assertThat(module("keyvault.bicep")).contains("name: '" + SecretProvider.PSEUDONYMISATION_KEY + "'")
                .contains("@secure()\nparam pseudonymisationKey string");
    }

    @Test
    void everyEventSubscriptionNamesAnEventGridFunctionOfItsApp() throws IOException {
        Path file = REPO.resolve("infra/bicep/event-subscriptions.json");
        JsonNode subscriptions = Json.readTree(file.toString(), Files.readAllBytes(file));
        assertThat(subscriptions.size()).isPositive();
        for (JsonNode s : subscriptions) {
            Path sources = REPO.resolve("functions/" + s.path("app").asText() + "/src/main/java");
            List<String> triggers = triggeredFunctions(sources, "EventGridTrigger");
            assertThat(triggers).as("Event Grid functions of the %s app", s.path("app").asText())
                    .contains(s.path("function").asText());
        }
    }

    /** The names of the functions under {@code sources} whose trigger is the given annotation. */
    private static List<String> triggeredFunctions(Path sources, String trigger) throws IOException {
        List<String> names = new ArrayList<>();
        Pattern function = Pattern.compile(
                "@FunctionName\\(\"(\\w+)\"\\)\\s*public\\s+\\S+\\s+\\w+\\(\\s*@" + trigger + "\\b");
        try (Stream<Path> files = Files.walk(sources)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Matcher m = function.matcher(Files.readString(f));
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
        }
        return names;
    }
}
