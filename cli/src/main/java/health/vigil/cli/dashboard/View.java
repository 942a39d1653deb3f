package health.vigil.cli.dashboard;

import health.vigil.security.Role;

/**
 * One page of the dashboard: where it lives, what the navigation calls it, the role it needs (null: any signed-in
 * key, like the read routes of the control API), and how it renders. A capability that lands on the platform
 * becomes one more view, added to {@link Dashboard#views}.
 */
interface View {
    /** The path under {@code /dashboard/}, with {@code {name}} for a segment the view reads. */
    String route();

    /** The navigation's label; null for views reached by links only (one model, one prediction). */
    String navigation();

    Role role();

    /** The page's title and the markup inside its {@code <main>}. */
    Rendered render(PageRequest request);

    record Rendered(String title, String body) {}
}
