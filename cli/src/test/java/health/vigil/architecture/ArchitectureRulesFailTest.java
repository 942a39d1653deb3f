package health.vigil.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package rules fail when they should: each is checked against a small fixture under
 * {@code health.vigil.architecture.fixture} (test sources only) that breaks it on purpose, and against the same
 * fixture without the offending package, where it holds.
 */
class ArchitectureRulesFailTest {
    private static final String ROOT = "health.vigil.architecture.fixture";
    private static final VigilRules RULES = VigilRules.forRoot(ROOT);
    private static JavaClasses fixture;

    @BeforeAll
    static void importFixture() {
        fixture = new ClassFileImporter().importPackages(ROOT);
    }

    @Test
    void aServiceCallingAnotherServiceThanRegistryOrAuditFails() {
        assertThat(violations(RULES.servicesCallOnlySharedServices()))
                .contains("service scoring calls service deployment")
                .doesNotContain("calls service registry");
    }

    @Test
    void aRecordReachingIntoAServiceFails() {
        assertThat(violations(RULES.foundationAndLibrariesStayBelowTheServices())).contains("RecordFixture")
                .contains("RegistryFixture");
    }

    @Test
    void anAdapterCallingAServiceFails() {
        assertThat(violations(RULES.adaptersNeverReachServices())).contains("LocalStoreFixture")
                .contains("DeploymentFixture");
    }

    @Test
    void oneAdapterTechnologyReachingAnotherFails() {
        assertThat(violations(RULES.adapterTechnologiesAreIndependent())).contains("LocalStoreFixture")
                .contains("AzureStoreFixture");
    }

    @Test
    void aPackageCycleFails() {
        assertThat(violations(RULES.noPackageCycles())).contains("Cycle detected").contains("model")
                .contains("registry");
    }

    @Test
    void aPackageNoRuleNamesFails() {
        String violations = violations(RULES.everyPackageOfSharedIsUnderARule());
        assertThat(violations).contains("StrayFixture").doesNotContain("ScoringFixture");
    }

    @Test
    void theRulesHoldOnTheFixtureWithoutItsOffenders() {
        JavaClasses clean = new ClassFileImporter().importPackages(ROOT + ".deployment", ROOT + ".adapter.azure");
        assertThat(RULES.servicesCallOnlySharedServices().evaluate(clean).hasViolation()).isFalse();
        assertThat(RULES.adaptersNeverReachServices().evaluate(clean).hasViolation()).isFalse();
        assertThat(RULES.adapterTechnologiesAreIndependent().evaluate(clean).hasViolation()).isFalse();
        assertThat(RULES.noPackageCycles().evaluate(clean).hasViolation()).isFalse();
    }

    private static String violations(ArchRule rule) {
        EvaluationResult result = rule.evaluate(fixture);
        assertThat(result.hasViolation()).as(rule.getDescription()).isTrue();
        return String.join("\n", result.getFailureReport().getDetails());
    }
}
