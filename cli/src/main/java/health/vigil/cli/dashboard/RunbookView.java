package health.vigil.cli.dashboard;

import health.vigil.error.ErrorCode;
import health.vigil.error.VigilException;
import java.util.List;

/**
 * One runbook of {@code docs/runbooks/}, served from the jar as a page of the dashboard, so an operator of a release
 * reads what to do where the dashboard says it, without the repository. Any signed-in key opens it: a runbook holds
 * no patient data and no secret, and every page that links to one needs a signed-in key at least. The Markdown is
 * turned into HTML by {@link RunbookHtml}, a class this one names only where a runbook is drawn, so neither it nor
 * the Markdown library is loaded before a runbook is asked for.
 */
final class RunbookView extends View {
    /**
     * The runbooks served, by file name without {@code .md}: a fixed list, so a path names one of these or none, never
     * a file of its own choosing. {@code RunbookViewTest} holds it to the files of {@code docs/runbooks/}.
     */
    static final List<String> NAMES = List.of("alerts", "audit-export", "batch-scoring", "dead-lettered-events",
            "drift-alert", "failed-verification", "immutability-policy", "key-rotation", "model-pipeline-runner",
            "outcome-feed", "rollback");

    private static final String ROUTE = "runbooks";

    RunbookView() {
        super(ROUTE + "/{name}", null, null, null);
    }

    /** The dashboard's address of the runbook {@code name}, one of {@link #NAMES}. */
    static String href(String name) {
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("no runbook " + name);
        }
        return "/dashboard/" + ROUTE + "/" + name;
    }

    /** A link to the runbook {@code name} with {@code text}, escaped. */
    static String link(String name, String text) {
        return Pages.link(href(name), text);
    }

    @Override
    Rendered render(PageRequest request) {
        String name = request.segment("name");
        if (!NAMES.contains(name)) {
            // The name is not repeated: it is whatever the address held.
            throw new VigilException(ErrorCode.NOT_FOUND, "the dashboard has no such runbook; its runbooks are "
                    + String.join(", ", NAMES) + ", listed at /dashboard/" + ROUTE);
        }
        return RunbookHtml.page(name);
    }

    /**
     * The runbooks' index at {@code /dashboard/runbooks}: each runbook by its title, linked. The titles are read from
     * the first lines of the files the jar holds, without the Markdown library.
     */
    static final class Index extends View {
        Index() {
            super(ROUTE, null, null, null);
        }

        @Override
        Rendered render(PageRequest request) {
            StringBuilder list = new StringBuilder("<ul>");
            for (String name : NAMES) {
                list.append("<li>").append(link(name, title(name))).append("</li>");
            }
            return new Rendered("Runbooks", "<p>What operators do when the platform or a model needs them: the"
                    + " runbooks this release of Vigil was built with.</p>" + list + "</ul>");
        }

        /** The runbook's first line without its heading mark, or its name when that line is no top-level heading. */
        private static String title(String name) {
            String resource = "runbooks/" + name + ".md";
            try (java.io.InputStream in = RunbookView.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("the CLI was built without the runbook " + resource);
                }
                String first = new java.io.BufferedReader(new java.io.InputStreamReader(in,
                        java.nio.charset.StandardCharsets.UTF_8)).readLine();
                return first != null && first.startsWith("# ") ? first.substring(2).strip() : name;
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("the runbook " + resource + " cannot be read", e);
            }
        }
    }
}
