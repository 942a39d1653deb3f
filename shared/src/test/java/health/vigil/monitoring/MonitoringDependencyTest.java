package health.vigil.monitoring;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * Monitoring is pure Java plus Apache Commons Statistics and Vigil's own SDK-free packages (the registry and audit
 * services, events, the feature pipelines, the package extractor, the JSON mapper, the JVM's capabilities): no cloud,
 * runtime or storage SDK. The JDK's incubating Vector API is used by one class only, so that a JVM without the module
 * never loads it (ADR 0023).
 */
class MonitoringDependencyTest {

    @Test
    void monitoringUsesOnlyTheDomainPortsAndCommonsStatistics() {
        JavaClasses monitoring = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("health.vigil.monitoring");
        classes().that().resideInAPackage("health.vigil.monitoring..")
                .should().onlyDependOnClassesThat().resideInAnyPackage(
                        "java..",
                        "health.vigil.monitoring..",
                        "health.vigil.statistics..",
                        "health.vigil.model..",
                        "health.vigil.port..",
                        "health.vigil.error..",
                        "health.vigil.hash..",
                        "health.vigil.registry..",
                        "health.vigil.audit..",
                        "health.vigil.events..",
                        "health.vigil.features..",
                        "health.vigil.modelpackage..",
                        "health.vigil.json..",
                        "health.vigil.config..",
                        "health.vigil.text..",
                        "jdk.incubator.vector..",
                        "org.apache.commons.statistics.distribution..",
                        "com.fasterxml.jackson.annotation..")
                .check(monitoring);
    }

    @Test
    void onlyTheVectorBinningUsesTheIncubatingVectorApi() {
        JavaClasses monitoring = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("health.vigil.monitoring");
        noClasses().that().resideInAPackage("health.vigil.monitoring..").and().doNotHaveSimpleName("VectorBinning")
                .should().dependOnClassesThat().resideInAPackage("jdk.incubator.vector..")
                .check(monitoring);
    }
}
