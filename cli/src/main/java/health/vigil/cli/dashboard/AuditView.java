package health.vigil.cli.dashboard;

import static health.vigil.functions.common.html.Html.escape;

import health.vigil.audit.EvidenceLayout;
import health.vigil.audit.EvidenceReport;
import health.vigil.audit.VerificationReport;
import health.vigil.port.ArtifactStore;
import health.vigil.error.ValidationException;
import health.vigil.functions.common.html.Html;
import health.vigil.model.AuditRecord;
import health.vigil.platform.VigilPlatform;
import health.vigil.security.Role;
import health.vigil.text.Words;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The audit trail of a period (default the last 7 UTC days) with its verification: the chain recomputed by the
 * audit log, the first broken record named. Reading it is recorded in the audit log, as the audit API's reads are.
 */
final class AuditView extends View {
    static final int DEFAULT_DAYS = 7;
    static final int MAX_DAYS = 31;
    /** The newest records shown; the period's count and verification cover all of them. */
    static final int SHOWN = 500;
    /** What a broken chain or inconsistent evidence asks for: the runbook, linked to its page. */
    private static final String FAILED_VERIFICATION = RunbookView.link("failed-verification",
            "runbook for a failed verification");

    AuditView(Supplier<VigilPlatform> platform) {
        super("audit", "Audit trail", Role.AUDIT_EXPORT, platform);
    }

    /**
     * The live store checked against the signed anchors and export digests, trusting the published keys (what
     * {@code GET /audit/evidence/verify} answers, recorded the same way), and the newest anchor and digest.
     */
    private static String evidence(VigilPlatform p, LocalDate from, LocalDate to, String actor) {
        EvidenceReport report = p.auditEvidence().verifyStore(from, to, p.auditEvidence().publishedKeys());
        p.audit().record(actor, "audit.evidence.verified", "audit/" + from + ".." + to, report.outcome(),
                Map.of("records", Long.toString(report.records()), "view", "dashboard audit trail"));
        StringBuilder out = new StringBuilder("<h2>Signed evidence</h2><p id=\"evidence\"");
        boolean nothingSigned = report.nothingSigned();
        if (nothingSigned) {
            out.append(">Nothing signed yet: no anchor or export digest has been written. The hourly anchor and the"
                    + " daily export write them; <code>vigil audit export</code> writes one now");
        } else {
            out.append(" class=\"").append(report.valid() ? "status-ok" : "status-bad").append("\">")
                    .append(report.valid() ? "\u2714 Consistent: " : "\u2718 Not consistent: ")
                    .append(Words.count(report.records(), "record")).append(" checked against ")
                    .append(Words.count(report.anchors(), "signed anchor")).append(", ")
                    .append(Words.count(report.digests(), "export digest")).append(" and ")
                    .append(Words.count(report.exports(), "export"));
        }
        if (!report.valid() && !nothingSigned) {
            EvidenceReport.Problem problem = report.firstProblem();
            out.append("; first problem: ").append(escape(problem.kind().name().toLowerCase(java.util.Locale.ROOT)))
                    .append(" in ").append(escape(problem.file())).append(problem.line() > 0 ? " line " + problem.line() : "")
                    .append(": ").append(escape(problem.message())).append(". Follow the ").append(FAILED_VERIFICATION);
        }
        out.append(".</p><dl class=\"facts\"><dt>Newest anchor</dt><dd data-fact=\"anchor\">")
                .append(escape(newest(p, EvidenceLayout.ANCHORS))).append("</dd><dt>Newest export digest</dt>"
                + "<dd data-fact=\"digest\">").append(escape(newest(p, EvidenceLayout.DIGESTS))).append("</dd></dl>");
        if (!report.notes().isEmpty()) {
            out.append("<ul>");
            report.notes().forEach(n -> out.append("<li>").append(escape(n)).append("</li>"));
            out.append("</ul>");
        }
        return out.toString();
    }

    /** The newest file under a folder of the evidence container (names sort by time), or "none yet". */
    private static String newest(VigilPlatform p, String folder) {
        return p.artifacts().list(ArtifactStore.AUDIT_EXPORTS, folder).stream().map(ArtifactStore.StoredArtifact::name)
                .max(String::compareTo).orElse("none yet");
    }

    /** The chain's verification in one sentence: intact, or where it first breaks and what to do. */
    static String verification(VerificationReport report) {
        StringBuilder out = new StringBuilder("<p id=\"verification\" class=\"")
                .append(report.valid() ? "status-ok" : "status-bad").append("\">")
                .append(report.valid() ? "\u2714 Intact: " : "\u2718 Broken: ")
                .append(Words.count(report.recordsChecked(), "record")).append(" in ")
                .append(Words.count(report.partitionsChecked(), "day")).append(" checked");
        if (!report.valid()) {
            VerificationReport.Break b = report.firstBreak();
            out.append("; the first broken record is number ").append(b.sequence()).append(" of ")
                    .append(escape(b.partition())).append(" (").append(escape(b.problem().name().toLowerCase(java.util.Locale.ROOT)))
                    .append("): ").append(escape(b.message())).append(". Follow the ").append(FAILED_VERIFICATION);
        }
        return out.append(".</p>").toString();
    }

    @Override
    Rendered render(PageRequest request) {
        VigilPlatform p = platform.get();
        LocalDate to = request.day("to", LocalDate.now(p.clock().withZone(java.time.ZoneOffset.UTC)));
        LocalDate from = request.day("from", to.minusDays(DEFAULT_DAYS - 1L));
        if (to.isBefore(from)) {
            throw new ValidationException("'to' (" + to + ") is before 'from' (" + from + "); swap them");
        }
        if (ChronoUnit.DAYS.between(from, to) >= MAX_DAYS) {
            throw new ValidationException("the dashboard shows at most " + MAX_DAYS + " days; the audit API and"
                    + " 'vigil audit export' take longer periods");
        }
        VerificationReport report = p.audit().verify(from, to);
        List<AuditRecord> records = p.audit().read(from, to);
        p.audit().record(request.principal().id(), "audit.read", "audit/" + from + ".." + to, "read",
                Map.of("records", Integer.toString(records.size()), "view", "dashboard audit trail"));

        StringBuilder body = new StringBuilder("<form method=\"get\" action=\"/dashboard/audit\"><label for=\"from\">From"
                + "</label> <input id=\"from\" name=\"from\" type=\"date\" value=\"" + from + "\"> <label for=\"to\">To"
                + "</label> <input id=\"to\" name=\"to\" type=\"date\" value=\"" + to + "\"> <button type=\"submit\">Show"
                + "</button></form>");
        body.append("<h2>Verification</h2>").append(verification(report));
        if (!report.notes().isEmpty()) {
            body.append("<ul>");
            report.notes().forEach(n -> body.append("<li>").append(escape(n)).append("</li>"));
            body.append("</ul>");
        }
        body.append(evidence(p, from, to, request.principal().id()));
        int skip = Math.max(0, records.size() - SHOWN);
        Pages.Table table = Pages.table("audit-records", Words.count(records.size(), "record") + " from " + from + " to " + to
                + (skip > 0 ? ", the newest " + SHOWN + " shown" : "") + ", newest first", "Time", "Action", "~Subject",
                "Outcome", "By", "Record");
        for (int i = records.size() - 1; i >= skip; i--) {
            AuditRecord r = records.get(i);
            Pages.row(table, Html.time(r.time()), escape(r.action()), escape(r.subject() == null ? "" : r.subject()),
                    escape(r.outcome() == null ? "" : r.outcome()), escape(r.actor()),
                    record(r.partition(), r.sequence()));
        }
        body.append("<h2>Records</h2>").append(Pages.end(table));
        return new Rendered("Audit trail", body.toString());
    }

    /** Where a record sits in the chain ("2026-12-05#76"), one value a line break would split at its date's hyphens. */
    static String record(String partition, long sequence) {
        return "<code class=\"unbroken\">" + escape(partition) + "#" + sequence + "</code>";
    }
}
