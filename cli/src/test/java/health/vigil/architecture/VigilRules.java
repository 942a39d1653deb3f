package health.vigil.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The package rules of {@code shared} (docs/architecture.md, "Rules"), written against a root package so the
 * same rules can be checked on the real tree ({@code health.vigil}) and on a small violating fixture in the
 * tests, which shows that each rule fails when it should.
 *
 * <p>Every package of {@code shared} sits in exactly one group: the foundation (records, ports, errors, events,
 * configuration, the JSON mapper, hashing, security types), libraries (pure computation the services share),
 * services (one package per capability), adapters (one package per technology), and the composition root.
 */
final class VigilRules {
    static final List<String> FOUNDATION = List.of("model", "port", "error", "events", "json", "hash", "html", "text", "config", "security");
    static final List<String> LIBRARIES = List.of("features", "explain", "statistics", "modelpackage", "privacy",
            "routing");
    /** Services; the lifecycle capabilities still to come are named here so they land under the rules. */
    static final List<String> SERVICES = List.of("registry", "audit", "deployment", "scoring", "monitoring",
            "outcomes", "gates", "approval", "canary", "retraining", "compliance", "cards", "shadow", "experiment");
    /** Services every other service may call; the rest are called only by functions, the CLI and the platform. */
    static final List<String> SHARED_SERVICES = List.of("registry", "audit");
    static final String ADAPTERS = "adapter";
    static final String COMPOSITION = "platform";
    /** Outside shared: the apps, the CLI and host, training, benchmarks, test support and these tests. */
    static final List<String> OUTSIDE_SHARED = List.of("functions", "cli", "host", "training", "bench", "testing",
            "architecture");

    private final String root;

    private VigilRules(String root) {
        this.root = root;
    }

    static VigilRules forRoot(String root) {
        return new VigilRules(root);
    }

    private String[] packages(List<String> names) {
        return names.stream().map(n -> root + "." + n + "..").toArray(String[]::new);
    }

    private String[] packages(List<String> names, List<String> more) {
        return Stream.concat(names.stream(), more.stream()).map(n -> root + "." + n + "..").toArray(String[]::new);
    }

    /** The service a class belongs to, if any: the first package segment below the root. */
    private Optional<String> serviceOf(JavaClass type) {
        String name = type.getPackageName();
        if (!name.startsWith(root + ".")) {
            return Optional.empty();
        }
        String first = name.substring(root.length() + 1).split("\\.")[0];
        return SERVICES.contains(first) ? Optional.of(first) : Optional.empty();
    }

    /** A service calls another service only when that one is a shared service (registry, audit). */
    ArchRule servicesCallOnlySharedServices() {
        ArchCondition<JavaClass> condition = new ArchCondition<>("call no other service than " + SHARED_SERVICES) {
            @Override
            public void check(JavaClass type, ConditionEvents events) {
                String own = serviceOf(type).orElseThrow();
                for (Dependency dependency : type.getDirectDependenciesFromSelf()) {
                    serviceOf(dependency.getTargetClass())
                            .filter(target -> !target.equals(own) && !SHARED_SERVICES.contains(target))
                            .ifPresent(target -> events.add(SimpleConditionEvent.violated(dependency,
                                    "service " + own + " calls service " + target + ": " + dependency.getDescription())));
                }
            }
        };
        return classes().that().resideInAnyPackage(packages(SERVICES)).should(condition)
                .allowEmptyShould(true)
                .because("services reach each other only through registry and audit, so each capability can change alone");
    }

    /** The foundation and the libraries depend on no service, adapter or composition root. */
    ArchRule foundationAndLibrariesStayBelowTheServices() {
        return noClasses().that().resideInAnyPackage(packages(FOUNDATION, LIBRARIES))
                .should().dependOnClassesThat().resideInAnyPackage(packages(SERVICES, List.of(ADAPTERS, COMPOSITION)))
                .allowEmptyShould(true)
                .because("records, ports and pure computations are what services are built from");
    }

    /** Adapters implement ports; they never call a service or the composition root. */
    ArchRule adaptersNeverReachServices() {
        return noClasses().that().resideInAPackage(root + "." + ADAPTERS + "..")
                .should().dependOnClassesThat().resideInAnyPackage(packages(SERVICES, List.of(COMPOSITION)))
                .allowEmptyShould(true)
                .because("the services call adapters through ports, never the other way round");
    }

    /** One adapter technology (Azure, local files and SQLite, ONNX Runtime) never reaches another. */
    ArchRule adapterTechnologiesAreIndependent() {
        return slices().matching(root + "." + ADAPTERS + ".(*)..").should().notDependOnEachOther()
                .allowEmptyShould(true)
                .because("each technology can be replaced or left out on its own");
    }

    /** No package depends on itself through others. */
    ArchRule noPackageCycles() {
        return slices().matching(root + ".(**)").should().beFreeOfCycles()
                .because("a cycle makes two packages one, whatever the folders say");
    }

    /** Every package of shared sits in one of the groups the rules above speak of. */
    ArchRule everyPackageOfSharedIsUnderARule() {
        return classes().that().resideInAPackage(root + "..")
                .and().resideOutsideOfPackages(packages(OUTSIDE_SHARED))
                .should().resideInAnyPackage(Stream.of(packages(FOUNDATION, LIBRARIES), packages(SERVICES),
                        packages(List.of(ADAPTERS, COMPOSITION))).flatMap(Arrays::stream).toArray(String[]::new))
                .because("a new package must be placed in the rules (docs/architecture.md) when it is added");
    }
}
