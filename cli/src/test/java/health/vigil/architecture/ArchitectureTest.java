package health.vigil.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The dependency rules of the architecture (docs/architecture.md, "Rules"), checked on every module's classes:
 * the domain and the services import no SDK, {@code shared} never depends on the Azure Functions library,
 * function classes stay thin (they reach adapters only through the platform), nothing depends on the command
 * line or local host, and the package rules of {@link VigilRules}. {@code ArchitectureRulesFailTest} shows each
 * package rule failing on a deliberately violating fixture.
 */
@AnalyzeClasses(packages = "health.vigil", importOptions = {ImportOption.DoNotIncludeTests.class, ProductionClassesOnly.class})
class ArchitectureTest {

    /** The domain and the services: one package per capability, plus the model and the ports. */
    private static final String[] CORE = {
        "health.vigil.model..", "health.vigil.port..", "health.vigil.registry..", "health.vigil.scoring..",
        "health.vigil.gates..", "health.vigil.deployment..", "health.vigil.monitoring..", "health.vigil.explain..",
        "health.vigil.audit..", "health.vigil.features..", "health.vigil.privacy..", "health.vigil.security..",
        "health.vigil.events..", "health.vigil.error..", "health.vigil.config..", "health.vigil.statistics..",
        "health.vigil.modelpackage..", "health.vigil.routing..", "health.vigil.approval..", "health.vigil.canary..", "health.vigil.retraining..",
        "health.vigil.compliance.."
    };

    private static final String[] SDKS = {
        "com.azure..", "com.microsoft.azure..", "ai.onnxruntime..", "ai.onnx..", "org.sqlite..", "java.sql..",
        "org.eclipse.jetty..", "java.net.http..", "io.opentelemetry..", "ml.dmlc..", "picocli..", "com.google.protobuf.."
    };

    @ArchTest
    static final ArchRule domainAndServicesImportNoSdk = noClasses().that().resideInAnyPackage(CORE)
            .should().dependOnClassesThat().resideInAnyPackage(SDKS)
            .because("the domain and the services depend only on the model and the ports (ARCHITECTURE.md)");

    @ArchTest
    static final ArchRule domainAndServicesDoNotReachAdapters = noClasses().that().resideInAnyPackage(CORE)
            .should().dependOnClassesThat().resideInAnyPackage("health.vigil.adapter..", "health.vigil.platform..")
            .because("adapters are plugged in behind ports by the composition root");

    @ArchTest
    static final ArchRule sharedNeverUsesTheFunctionsLibrary = noClasses().that().resideInAnyPackage(
                    "health.vigil.model..", "health.vigil.port..", "health.vigil.adapter..", "health.vigil.platform..",
                    "health.vigil.registry..", "health.vigil.scoring..", "health.vigil.deployment..", "health.vigil.audit..",
                    "health.vigil.monitoring..", "health.vigil.explain..", "health.vigil.features..", "health.vigil.training..",
                    "health.vigil.statistics..", "health.vigil.modelpackage..", "health.vigil.routing..", "health.vigil.security..",
                    "health.vigil.privacy..", "health.vigil.events..", "health.vigil.error..", "health.vigil.config..",
                    "health.vigil.json..", "health.vigil.hash..", "health.vigil.html..", "health.vigil.testing..")
            .should().dependOnClassesThat().resideInAnyPackage("com.microsoft.azure.functions..")
            .because("shared and training run outside the Functions host too");

    @ArchTest
    static final ArchRule functionsReachAdaptersOnlyThroughThePlatform = noClasses().that()
            .resideInAnyPackage("health.vigil.functions..")
            .should().dependOnClassesThat().resideInAnyPackage("health.vigil.adapter..", "org.sqlite..", "ai.onnxruntime..",
                    "com.azure..")
            .because("a function class parses, calls one service and maps the result");

    @ArchTest
    static final ArchRule nothingDependsOnTheCommandLine = noClasses().that().resideOutsideOfPackages(
                    "health.vigil.cli..", "health.vigil.host..")
            .should().dependOnClassesThat().resideInAnyPackage("health.vigil.cli..", "health.vigil.host..")
            .because("the CLI and the local host sit at the edge");

    private static final VigilRules RULES = VigilRules.forRoot("health.vigil");

    @ArchTest
    static final ArchRule servicesCallOnlySharedServices = RULES.servicesCallOnlySharedServices();

    @ArchTest
    static final ArchRule foundationAndLibrariesStayBelowTheServices = RULES.foundationAndLibrariesStayBelowTheServices();

    @ArchTest
    static final ArchRule adaptersNeverReachServices = RULES.adaptersNeverReachServices();

    @ArchTest
    static final ArchRule adapterTechnologiesAreIndependent = RULES.adapterTechnologiesAreIndependent();

    @ArchTest
    static final ArchRule noPackageCycles = RULES.noPackageCycles();

    @ArchTest
    static final ArchRule everyPackageOfSharedIsUnderARule = RULES.everyPackageOfSharedIsUnderARule();

    @ArchTest
    static final ArchRule productionCodeNeverUsesTestSupport = noClasses().that().resideOutsideOfPackages(
                    "health.vigil.testing..", "health.vigil.bench..", "health.vigil.cli..", "health.vigil.host..")
            .should().dependOnClassesThat().resideInAnyPackage("health.vigil.testing..")
            .because("fixtures and emulators are test support; only tests, benchmarks and the CLI (never deployed) use them");
}
