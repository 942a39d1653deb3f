package health.vigil.monitoring;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * Monitoring is pure Java plus Apache Commons Statistics and Vigil's own SDK-free packages (the registry and audit
 * services, events, the feature pipelines, the package extractor, the JSON mapper): no cloud, runtime or storage SDK.
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
                        "org.apache.commons.statistics.distribution..",
                        "com.fasterxml.jackson.annotation..")
                .check(monitoring);
    }
}
