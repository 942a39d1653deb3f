package health.vigil.cli.dashboard;

import static health.vigil.functions.common.html.Html.escape;

import health.vigil.functions.common.html.Html;
import health.vigil.model.ModelName;
import health.vigil.model.StageChange;
import health.vigil.model.VersionRecord;
import health.vigil.platform.VigilPlatform;
import health.vigil.registry.ModelSummary;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;

/**
 * One model: each version with its stage, when and by whom it was registered and last changed, and the stage
 * history of all its versions, newest first, as the registry keeps it (the same entries
 * {@code GET /models/{name}/versions/{version}/history} answers with).
 */
final class ModelView extends View {

    ModelView(Supplier<VigilPlatform> platform) {
        super("models/{name}", null, null, platform);
    }

    @Override
    Rendered render(PageRequest request) {
        VigilPlatform p = platform.get();
        ModelName model = new ModelName(request.segment("name"));
        ModelSummary summary = p.registry().summary(model);
        List<VersionRecord> versions = p.registry().listVersions(model);
        StringBuilder body = new StringBuilder();
        body.append("<p>Live traffic: ").append(escape(summary.currentDeployment().map(ModelsView::traffic)
                .orElse("not deployed"))).append(". ").append(Pages.link("/dashboard/deployments#deployment-"
                + model.value(), "Deployment and canary")).append(". ").append(Pages.link("/dashboard/monitoring/"
                + model.value(), "Monitoring of " + model.value())).append(".</p>");
        Pages.Table table = Pages.table("versions", "Versions of " + model.value(), "Version", "Stage", "Registered",
                "Registered by", "Last change", "Package sha256", "Gates and card");
        List<Change> changes = new ArrayList<>();
        for (VersionRecord v : versions) {
            String page = VersionView.href(model, v.version());
            // A no-break space: "version" and its number are one value, and the column is narrow beside the times.
            Pages.row(table, Pages.link(page, "version\u00a0" + v.version()), stage(v), Html.time(v.registeredAt()),
                    escape(v.registeredBy() == null ? "\u2013" : v.registeredBy()), Html.time(v.updatedAt()),
                    "<code>" + escape(v.packageSha256() == null ? "" : v.packageSha256().substring(0, 12)) + "\u2026</code>",
                    Pages.link(page + "#gates", "gate report") + ", " + Pages.link(page + "/card", "model card"));
            v.history().forEach(c -> changes.add(new Change(v.version(), c)));
        }
        body.append(Pages.end(table));
        changes.sort(Comparator.comparing((Change c) -> c.change().at()).reversed());
        body.append("<h2>Stage history</h2>").append(history("history", "Every stage change of " + model.value()
                + "'s versions, newest first", changes, true));
        return new Rendered("Model " + model.value(), body.toString());
    }

    /** A version's stage in words ("gates passed"), with what it means on hover and in the accessible name. */
    static String stage(VersionRecord v) {
        return "<span title=\"" + escape(v.stage().meaning()) + "\">" + escape(Pages.words(v.stage().wireName()))
                + "</span>";
    }

    /** A stage change of one version. */
    record Change(int version, StageChange change) {}

    /** The history table: when, the version (optional), from, to, who and why. */
    static String history(String id, String caption, List<Change> changes, boolean withVersion) {
        List<String> headers = new ArrayList<>(List.of("When"));
        if (withVersion) {
            headers.add("#Version");
        }
        headers.addAll(List.of("From", "To", "By", "Why"));
        Pages.Table table = Pages.table(id, caption, headers.toArray(String[]::new));
        for (Change c : changes) {
            List<String> cells = new ArrayList<>(List.of(Html.time(c.change().at())));
            if (withVersion) {
                cells.add(String.valueOf(c.version()));
            }
            cells.add(escape(c.change().from() == null ? "(registered)" : Pages.words(c.change().from().wireName())));
            cells.add(escape(Pages.words(c.change().to().wireName())));
            cells.add(escape(c.change().actor()));
            cells.add(Html.prose(c.change().reason()));
            Pages.row(table, cells.toArray(String[]::new));
        }
        return Pages.end(table);
    }
}
