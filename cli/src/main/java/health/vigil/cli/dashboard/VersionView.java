package health.vigil.cli.dashboard;

import static health.vigil.functions.common.html.Html.escape;

import health.vigil.cards.ModelCard;
import health.vigil.error.ValidationException;
import health.vigil.functions.common.html.Html;
import health.vigil.model.GateCheck;
import health.vigil.model.GateReport;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.VersionRecord;
import health.vigil.platform.VigilPlatform;
import health.vigil.text.Words;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * One version: its stage and stage history, its gate report as the gates stored it (every check with its value,
 * threshold, interval and outcome) and the summary of its model card, with the whole card one link away. The
 * same records {@code GET .../history}, {@code GET .../gates} and {@code GET .../card} answer with.
 */
final class VersionView extends View {

    VersionView(Supplier<VigilPlatform> platform) {
        super("models/{name}/versions/{version}", null, null, platform);
    }

    static String href(ModelName model, int version) {
        return "/dashboard/models/" + model.value() + "/versions/" + version;
    }

    /** The version number in a route, or a 400 that says what a version number looks like. */
    static int version(PageRequest request) {
        // Written the one way the API takes (ASCII digits, no sign or leading zero): Integer.parseInt also reads
        // "01", "+1" and full-width or Arabic-Indic digits, so one page had several addresses the API refuses.
        int version = health.vigil.functions.common.HttpApi.positiveWholeNumber(request.segment("version"));
        if (version >= 1) {
            return version;
        }
        throw new ValidationException("a version is a whole number from 1 in ASCII digits (3, not 03, +3 or a"
                + " full-width digit), as the model's page lists them");
    }

    @Override
    Rendered render(PageRequest request) {
        VigilPlatform p = platform.get();
        ModelName model = new ModelName(request.segment("name"));
        int number = version(request);
        VersionRecord v = p.registry().getVersion(model, number);
        StringBuilder body = new StringBuilder("<p>").append(Pages.link("/dashboard/models/" + model.value(),
                "All versions of " + model.value())).append("</p>");
        body.append("<dl class=\"facts\" id=\"version-facts\"><dt>Stage</dt><dd data-fact=\"stage\">")
                .append(escape(v.stage().meaning())).append("</dd>")
                .append("<dt>Registered</dt><dd>").append(Html.time(v.registeredAt())).append(" by ")
                .append(escape(v.registeredBy() == null ? "\u2013" : v.registeredBy())).append("</dd>")
                .append("<dt>Feature pipeline</dt><dd><code>").append(escape(v.manifest().featurePipeline()))
                .append("</code></dd><dt>Package sha256</dt><dd><code>")
                .append(escape(v.packageSha256() == null ? "\u2013" : v.packageSha256())).append("</code></dd>")
                .append("<dt>Signatures</dt><dd data-fact=\"signatures\">").append(v.signatures().size()).append("</dd></dl>");
        body.append("<h2>Stage history</h2>").append(ModelView.history("stage-history", "Stages of version " + number
                + ", oldest first", v.history().stream().map(c -> new ModelView.Change(number, c)).toList(), false));
        body.append(gates(p.gates().find(new ModelVersion(model, number))));
        body.append(card(p.cards().card(model, number), model, number));
        return new Rendered(model.value() + " version " + number, body.toString());
    }

    /** A gate value or bound that is not a number (NaN, infinite): the check's note says why, where the gate gave one. */
    private static final String NOT_COMPUTED = "not computed";

    static String gates(Optional<GateReport> found) {
        StringBuilder out = new StringBuilder("<h2 id=\"gates\">Gate report</h2>");
        if (found.isEmpty()) {
            return out.append("<p id=\"gate-verdict\">No gate report yet: the gates run when a version is registered."
                    + "</p>").toString();
        }
        GateReport r = found.get();
        long failed = r.checks().stream().filter(c -> c.outcome() == GateCheck.Outcome.FAILED).count();
        long flagged = r.checks().stream().filter(c -> c.outcome() == GateCheck.Outcome.FLAGGED).count();
        out.append("<p id=\"gate-verdict\" class=\"").append(r.passed() ? "status-ok" : "status-bad").append("\">")
                .append(r.passed() ? "\u2714 Passed" : "\u2718 Failed").append(": ")
                .append(Words.count(r.checks().size(), "check")).append(", ").append(failed).append(" failed, ").append(flagged).append(" flagged for the"
                + " approver; judged ").append(Html.time(r.evaluatedAt())).append(" on ")
                .append(r.datasetRows() == null ? "the" : Words.count(r.datasetRows(), "row") + " of the").append(" evaluation dataset <code>")
                .append(escape(r.datasetSha256() == null ? "\u2013" : r.datasetSha256().substring(0, 12) + "\u2026"))
                .append("</code> under gate policy ").append(r.policyVersion())
                .append(r.productionVersion() == null ? "" : ", against production version " + r.productionVersion())
                .append(".</p>");
        Pages.Table table = Pages.table("gate-checks", "Every check of the gates", "Gate", "Check", "#Value",
                "Threshold", "#95 % interval", "Outcome", "Note");
        for (GateCheck c : r.checks()) {
            String interval = c.ciLower() == null || c.ciUpper() == null ? "\u2013"
                    : !Double.isFinite(c.ciLower()) || !Double.isFinite(c.ciUpper()) ? NOT_COMPUTED
                    : Words.number(c.ciLower()) + " \u2013 " + Words.number(c.ciUpper());
            Pages.row(table, escape(c.gate()), escape(c.check()), c.value() == null ? "\u2013"
                    : Double.isFinite(c.value()) ? Words.number(c.value()) : NOT_COMPUTED,
                    escape(c.threshold() == null ? "\u2013" : c.threshold()), interval,
                    outcome(c.outcome()), escape(c.note() == null ? "" : c.note()));
        }
        out.append(Pages.end(table));
        if (!r.notes().isEmpty()) {
            out.append("<ul>");
            r.notes().forEach(n -> out.append("<li>").append(escape(n)).append("</li>"));
            out.append("</ul>");
        }
        return out.toString();
    }

    /** An outcome in words with a symbol, never by colour alone. */
    private static String outcome(GateCheck.Outcome outcome) {
        return switch (outcome) {
            case PASSED -> "<span class=\"outcome passed\">\u2714 passed</span>";
            case FAILED -> "<span class=\"outcome failed status-bad\">\u2718 failed</span>";
            case FLAGGED -> "<span class=\"outcome flagged\">\u26a0 flagged</span>";
        };
    }

    static String card(ModelCard card, ModelName model, int number) {
        ModelCard.Summary s = card.summary();
        StringBuilder out = new StringBuilder("<h2 id=\"card\">Model card</h2><dl class=\"facts\" id=\"card-summary\">");
        fact(out, "Description", s.description());
        fact(out, "Owner", s.owner());
        out.append("<dt>Gates</dt><dd data-fact=\"gates\">").append(gatesOutcome(s)).append("</dd>");
        if (s.fairnessGate() != null) {
            out.append("<dt>Fairness (segments gate)</dt><dd data-fact=\"fairness\">")
                    .append(Html.prose(s.fairnessGate())).append("</dd>");
        }
        fact(out, "AUROC on the gates' data", s.auroc() == null ? null : Words.number(s.auroc()));
        fact(out, "Expected calibration error", s.expectedCalibrationError() == null ? null
                : Words.number(s.expectedCalibrationError()));
        fact(out, "Signed by", s.signedBy().isEmpty() ? "nobody yet" : String.join(", ", s.signedBy()));
        fact(out, "Deployed", s.deployedSlot() == null ? "not deployed" : s.deployedSlot());
        fact(out, "HTI-1 attributes not provided", s.notProvided().isEmpty() ? "none"
                : s.notProvided().size() + ": " + String.join(", ", s.notProvided()));
        out.append("</dl><p>").append(Pages.link(href(model, number) + "/card", "The whole model card of " + model.value()
                + " version " + number)).append(" (the page the card API gives for Accept: text/html).</p>");
        return out.toString();
    }

    /**
     * The gates' outcome as the card summary states it, with a symbol and a word: passed, passed with the checks
     * flagged for the approver (named, so that a pass that left something unjudged never reads as a plain pass), or
     * failed with the gates that failed; then what changed since the gates judged, if anything.
     */
    static String gatesOutcome(ModelCard.Summary s) {
        String words = s.gatesOutcome();
        if (s.gatesPassed() == null) {
            return escape(words);
        }
        int flagged = s.flaggedChecks().size();
        String named = ": " + String.join(", ", s.flaggedChecks());
        StringBuilder out = new StringBuilder();
        if (!s.gatesPassed()) {
            out.append("<span class=\"outcome failed status-bad\">\u2718 failed</span>: ")
                    .append(escape(String.join(", ", s.failedGates())));
            if (flagged > 0) {
                out.append("; ").append(flagged).append(" flagged").append(escape(named));
            }
        } else if (flagged > 0) {
            out.append("<span class=\"outcome flagged\">\u26a0 passed with ").append(flagged)
                    .append(" flagged</span>").append(escape(named));
        } else {
            out.append("<span class=\"outcome passed\">\u2714 passed</span>");
        }
        // What changed since the gates judged, in the card's own words.
        int outOfDate = words.indexOf("; out of date: ");
        return out.append(outOfDate < 0 ? "" : escape(words.substring(outOfDate))).toString();
    }

    private static void fact(StringBuilder out, String name, String value) {
        out.append("<dt>").append(escape(name)).append("</dt><dd>").append(escape(value == null ? "not provided" : value))
                .append("</dd>");
    }

    /** The whole model card, as the card API draws it for {@code Accept: text/html}. */
    static final class CardView extends View {
        CardView(Supplier<VigilPlatform> platform) {
            super("models/{name}/versions/{version}/card", null, null, platform);
        }

        @Override
        Rendered render(PageRequest request) {
            ModelName model = new ModelName(request.segment("name"));
            int number = version(request);
            return Rendered.document("Model card of " + model.value() + " version " + number,
                    health.vigil.cards.ModelCardHtml.render(platform.get().cards().card(model, number)));
        }
    }
}
