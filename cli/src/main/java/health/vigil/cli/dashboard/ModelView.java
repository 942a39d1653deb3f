package health.vigil.cli.dashboard;

import static health.vigil.functions.common.html.Html.escape;

import health.vigil.model.AuditRecord;
import health.vigil.model.ModelName;
import health.vigil.model.VersionRecord;
import health.vigil.platform.VigilPlatform;
import health.vigil.registry.ModelSummary;
import health.vigil.security.Role;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One model: each version with its stage, when and by whom it was registered and last changed, and, for a key
 * that may read the audit trail, the model's history from it (the read is audited, as the audit API's is).
 */
final class ModelView extends View {
    /** How far back the history reads. */
    static final int HISTORY_DAYS = 30;

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
        body.append("<p>Live traffic: ").append(escape(summary.currentDeployment().map(ModelsView::traffic).orElse("not deployed")))
                .append(". ").append(Pages.link("/dashboard/monitoring/" + model.value(), "Monitoring of " + model.value()))
                .append("</p>");
        StringBuilder table = Pages.table("versions", "Versions of " + model.value(), "Version", "Stage", "Registered",
                "Registered by", "Last change", "Package sha256", "Model card");
        for (VersionRecord v : versions) {
            Pages.row(table, "#" + v.version(), "<span title=\"" + escape(v.stage().meaning()) + "\">"
                    + escape(v.stage().wireName()) + "</span>", Pages.time(v.registeredAt()),
                    escape(v.registeredBy() == null ? "\u2013" : v.registeredBy()), Pages.time(v.updatedAt()),
                    "<code>" + escape(v.packageSha256() == null ? "" : v.packageSha256().substring(0, 12)) + "\u2026</code>",
                    Pages.link("/models/" + model.value() + "/versions/" + v.version() + "/card", "card"));
        }
        body.append(Pages.end(table));
        body.append("<h2>History</h2>");
        if (request.principal().has(Role.AUDIT_EXPORT)) {
            LocalDate to = LocalDate.now(ZoneOffset.UTC);
            LocalDate from = to.minusDays(HISTORY_DAYS - 1);
            String prefix = "/models/" + model.value() + "/";
            List<AuditRecord> records = p.audit().read(from, to).stream()
                    .filter(r -> r.subject() != null && r.subject().startsWith(prefix)).toList();
            p.audit().record(request.principal().id(), "audit.read", "audit/" + from + ".." + to, "read",
                    Map.of("records", Integer.toString(records.size()), "view", "dashboard model history"));
            StringBuilder history = Pages.table("history", "What happened to " + model.value() + " in the last "
                    + HISTORY_DAYS + " days (from the audit trail)", "When", "Action", "Subject", "Outcome", "By");
            for (AuditRecord r : records) {
                Pages.row(history, Pages.time(r.time()), escape(r.action()), escape(r.subject()), escape(r.outcome()),
                        escape(r.actor()));
            }
            body.append(Pages.end(history));
        } else {
            body.append("<p>The history comes from the audit trail, which a key with the Audit.Export role reads.</p>");
        }
        return new Rendered("Model " + model.value(), body.toString());
    }
}
