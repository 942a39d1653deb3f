package health.vigil.cli.dashboard;

import health.vigil.platform.VigilPlatform;
import health.vigil.security.Role;
import java.util.function.Supplier;

/**
 * One page of the dashboard: where it lives, what the navigation calls it, the role it needs (null: any signed-in
 * key, like the read routes of the control API), and how it renders from the platform's services. A capability
 * that lands on the platform becomes one more view, added to {@link Dashboard#views}.
 */
abstract class View {
    private final String route;
    private final String navigation;
    private final Role role;
    protected final Supplier<VigilPlatform> platform;

    /**
     * @param route the path under {@code /dashboard/}, with {@code {name}} for a segment the view reads
     * @param navigation the navigation's label; null for views reached by links only
     */
    View(String route, String navigation, Role role, Supplier<VigilPlatform> platform) {
        this.route = route;
        this.navigation = navigation;
        this.role = role;
        this.platform = platform;
    }

    final String route() {
        return route;
    }

    final String navigation() {
        return navigation;
    }

    final Role role() {
        return role;
    }

    /** The page's title and the markup inside its {@code <main>}. */
    abstract Rendered render(PageRequest request);

    /**
     * What a view drew: a title and the markup of its {@code <main>}, or (when {@code document} is true) a whole
     * self-contained page of its own that the dashboard sends as it is.
     */
    record Rendered(String title, String body, boolean document) {
        Rendered(String title, String body) {
            this(title, body, false);
        }

        static Rendered document(String title, String html) {
            return new Rendered(title, html, true);
        }
    }
}
