package health.vigil.cards;

import health.vigil.html.HtmlText;
import health.vigil.html.TableCards;
import health.vigil.model.ElectronicSignature;
import health.vigil.model.StageChange;
import health.vigil.text.Words;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A {@link ModelCard} as one self-contained HTML page: inline style, inline SVG charts, no script, font, image or
 * link to anything outside the page. Every value is escaped; manifest text is the uploader's and never markup. On a
 * phone its tables are drawn as the dashboard's are, one card per row ({@link TableCards}), and long text such as a
 * sha256 breaks anywhere, so nothing of the card hides sideways.
 */
public final class ModelCardHtml {
    private static final String STYLE = "body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;"
            + "padding:0 1em;color:#222}h1{margin-bottom:0}table{border-collapse:collapse;margin:.5em 0}"
            + "td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}"
            + "caption{text-align:left;font-weight:600;padding:.25em 0}.scroll{overflow-x:auto}"
            + ".num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}svg{max-width:100%;height:auto}"
            + ".missing{color:#a33;font-style:italic}.source{color:#666;font-size:.85em}li,p{overflow-wrap:anywhere}"
            + ".charts{display:flex;flex-wrap:wrap;gap:1em}.failed{color:#a33}.passed{color:#276}"
            + "@media " + TableCards.NARROW + "{" + TableCards.RULES
            // Where a table is drawn as cards it fits and its box scrolls nothing: a hidden box takes no focus, so
            // the keyboard passes it by (a stylesheet cannot take a tabindex back), while its table is shown.
            + " .scroll{visibility:hidden} .scroll>*{visibility:visible}}";

    private static final String END_TABLE = "</tbody></table></div>";

    private ModelCardHtml() {}

    public static String render(ModelCard card) {
        StringBuilder h = new StringBuilder(16_384);
        String name = card.model() + " version " + card.version();
        h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Model card: ")
                .append(escape(name)).append("</title><style>").append(STYLE).append("</style></head><body>");
        h.append("<h1>Model card: ").append(escape(name)).append("</h1>");
        h.append("<p>Stage <strong>").append(escape(card.stage().toLowerCase(Locale.ROOT))).append("</strong>; generated ")
                .append(HtmlText.time(card.generatedAt())).append(" from the manifest, the registry, the gate report and the approvals."
                        + " The attributes follow ONC HTI-1, 45 CFR 170.315(b)(11)(iv)(B).</p>");
        summary(h, card.summary());
        segments(h, card.segments());
        h.append("<section><h2>Calibration and discrimination</h2><div class=\"charts\">");
        if (card.curves() == null || card.curves().calibration().isEmpty()) {
            h.append("<p class=\"missing\">no curves: the gates did not score this version on an evaluation dataset</p>");
        } else {
            h.append(CardCharts.calibration(card.curves().calibration())).append(CardCharts.roc(card.curves().roc()));
        }
        h.append("</div></section>");
        for (ModelCard.Section section : card.hti1()) {
            h.append("<section><h2>").append(escape(section.paragraph() + " " + section.title())).append("</h2>");
            for (ModelCard.Attribute a : section.attributes()) {
                h.append("<h3 id=\"").append(a.key()).append("\">").append(escape(a.paragraph() + " " + a.title()))
                        .append("</h3>");
                if (!a.values().isEmpty()) {
                    h.append("<ul>");
                    a.values().forEach(v -> h.append("<li>").append(escape(v)).append("</li>"));
                    h.append("</ul>");
                }
                if (!a.provided()) {
                    h.append("<p class=\"missing\">").append(ModelCard.NOT_PROVIDED)
                            .append(a.missing() == null ? "" : " (" + escape(a.missing()) + ")").append("</p>");
                }
                h.append("<p class=\"source\">Source: ").append(escape(a.source())).append("</p>");
            }
            h.append("</section>");
        }
        gates(h, card.gates());
        signatures(h, card.signatures());
        registry(h, card.registry());
        history(h, card.history());
        return h.append("</body></html>").toString();
    }

    private static void summary(StringBuilder h, ModelCard.Summary s) {
        h.append("<section><h2>Summary</h2>");
        facts(h, "summary", "The version at a glance");
        row(h, "Description", s.description());
        row(h, "Owner", s.owner());
        row(h, "Gates", s.gatesOutcome());
        if (s.fairnessGate() != null) {
            row(h, "Fairness (segments gate)", s.fairnessGate());
        }
        row(h, "Flagged for review", s.flaggedChecks().isEmpty() ? "none" : String.join(", ", s.flaggedChecks()));
        measure(h, "AUROC", s.auroc());
        measure(h, "Expected calibration error", s.expectedCalibrationError());
        row(h, "Signed by", s.signedBy().isEmpty() ? "nobody yet" : String.join("; ", s.signedBy()));
        row(h, "Deployed", s.deployedSlot() == null ? "no" : s.deployedSlot() + " slot");
        row(h, "HTI-1 attributes not provided", s.notProvided().isEmpty() ? "none" : s.notProvided().size() + ": "
                + String.join(", ", s.notProvided()));
        h.append(END_TABLE).append("</section>");
    }

    private static void segments(StringBuilder h, List<ModelCard.Segment> segments) {
        h.append("<section><h2>Performance by segment</h2>");
        if (segments.isEmpty()) {
            h.append("<p class=\"missing\">").append(ModelCard.NOT_PROVIDED)
                    .append(" (no segment was judged by the gates)</p></section>");
            return;
        }
        Columns table = columns(h, "segment-table", "Each segment the gates judged: its rows, AUROC and calibration"
                + " error", List.of("Column", "Value", "Rows", "AUROC", "Calibration error", "Gate"),
                Set.of("Rows", "AUROC", "Calibration error"));
        for (ModelCard.Segment s : segments) {
            cells(h, table, escape(s.column()), escape(s.value()), Long.toString(s.rows()),
                    ModelCard.measured(s.auroc()), ModelCard.measured(s.calibrationError()),
                    s.passed() ? "<span class=\"passed\">passed</span>" : "<span class=\"failed\">failed</span>");
        }
        h.append(END_TABLE).append("</section>");
    }

    private static void gates(StringBuilder h, ModelCard.Gates g) {
        h.append("<section><h2>Gate report</h2>");
        if (g == null) {
            h.append("<p class=\"missing\">the version's gates have not run yet</p></section>");
            return;
        }
        h.append("<p>").append(g.passed() ? "Every gate passed" : "Gates failed").append(" under gate policy version ")
                .append(g.policyVersion()).append(g.productionVersion() == null ? "; no production version to compare with"
                        : "; compared with production version " + g.productionVersion()).append(".</p>");
        Columns table = columns(h, "gate-table", "Every check of the gates: its value, threshold and outcome",
                List.of("Gate", "Check", "Value", "Threshold", "Outcome", "Note"), Set.of("Value"));
        for (var c : g.checks()) {
            cells(h, table, escape(c.gate()), escape(c.check()), c.value() == null ? "" : ModelCard.measured(c.value()),
                    escape(c.threshold() == null ? "" : c.threshold()), c.outcome().name().toLowerCase(Locale.ROOT),
                    escape(c.note() == null ? "" : c.note()));
        }
        h.append(END_TABLE);
        if (!g.notes().isEmpty()) {
            h.append("<ul>");
            g.notes().forEach(n -> h.append("<li>").append(escape(n)).append("</li>"));
            h.append("</ul>");
        }
        h.append("</section>");
    }

    private static void signatures(StringBuilder h, List<ElectronicSignature> signatures) {
        h.append("<section><h2>Approvals</h2>");
        if (signatures.isEmpty()) {
            h.append("<p class=\"missing\">no signature yet</p></section>");
            return;
        }
        Columns table = columns(h, "signature-table", "The electronic signatures on this version",
                List.of("Signed by", "Meaning", "At", "Package sha256", "Justification"), Set.of());
        for (ElectronicSignature s : signatures) {
            cells(h, table, escape(s.printedName() + " (" + s.signerId() + ")"), escape(s.meaning().phrase()),
                    HtmlText.time(s.signedAt()), escape(s.packageSha256()), escape(s.justification()));
        }
        h.append(END_TABLE).append("</section>");
    }

    private static void registry(StringBuilder h, ModelCard.Registry r) {
        h.append("<section><h2>Registry record</h2>");
        facts(h, "registry-table", "What the registry holds for this version");
        row(h, "Package sha256", r.packageSha256());
        row(h, "Model sha256", r.modelSha256());
        h.append("<tr role=\"row\"><th scope=\"row\" role=\"rowheader\">Registered by</th><td role=\"cell\">")
                .append(escape(r.registeredBy()))
                .append(r.registeredAt() == null ? "" : " at " + HtmlText.time(r.registeredAt())).append("</td></tr>");
        row(h, "Training data", Words.count(r.trainingRows(), "row") + ", sha256 " + r.trainingDatasetSha256()
                + (r.trainingDateRange() == null ? "" : ", " + r.trainingDateRange()));
        row(h, "Code commit", r.codeCommit());
        row(h, "Trainer", r.trainer() == null ? ModelCard.NOT_PROVIDED : r.trainer());
        row(h, "Feature pipeline", r.featurePipeline());
        // A code feature's words for its pattern after its name: what an approver checks the model is given.
        row(h, "Model inputs", String.join(", ", r.features().stream().map(name -> r.patternDescriptions()
                .containsKey(name) ? name + " (" + r.patternDescriptions().get(name) + ")" : name).toList()));
        h.append(END_TABLE).append("</section>");
    }

    private static void history(StringBuilder h, List<StageChange> history) {
        h.append("<section><h2>History</h2>");
        Columns table = columns(h, "history-table", "The version's changes of stage",
                List.of("At", "From", "To", "By", "Reason"), Set.of());
        for (StageChange c : history) {
            cells(h, table, HtmlText.time(c.at()), c.from() == null ? "" : c.from().name().toLowerCase(Locale.ROOT),
                    c.to().name().toLowerCase(Locale.ROOT), escape(c.actor()),
                    escape(c.reason() == null ? "" : c.reason()));
        }
        h.append(END_TABLE).append("</section>");
    }

    /** A table of columns being written: its headers, which label its cells, and which of its columns hold numbers. */
    private record Columns(List<String> headers, Set<String> numeric) {}

    /**
     * The start of a table of columns: a caption saying what it holds, then its header row; the columns named in
     * {@code numeric} hold numbers and are right-aligned, header and cells alike, so their digits line up. The table
     * scrolls sideways on a screen narrower than itself instead of widening the page; on a phone it is drawn as one
     * card per row instead, its header row kept for screen readers only.
     */
    private static Columns columns(StringBuilder h, String id, String caption, List<String> headers,
            Set<String> numeric) {
        start(h, id, caption);
        h.append("<thead role=\"rowgroup\"><tr role=\"row\">");
        for (String header : headers) {
            h.append("<th scope=\"col\" role=\"columnheader\"").append(numeric.contains(header) ? " class=\"num\"" : "")
                    .append('>').append(escape(header)).append("</th>");
        }
        h.append("</tr></thead><tbody role=\"rowgroup\">");
        return new Columns(headers, numeric);
    }

    /**
     * A row of a table of columns, a cell a column: markup whose text is escaped before, or a number this class
     * formatted. Each cell carries its column's header as {@code data-label}, shown before its value on a phone.
     */
    private static void cells(StringBuilder h, Columns table, String... markup) {
        h.append("<tr role=\"row\">");
        for (int i = 0; i < markup.length; i++) {
            String header = table.headers().get(i);
            h.append("<td role=\"cell\" data-label=\"").append(escape(header)).append('"')
                    .append(table.numeric().contains(header) ? " class=\"num\"" : "").append('>').append(markup[i])
                    .append("</td>");
        }
        h.append("</tr>");
    }

    /** The start of a table of facts, one a row, each headed by its name. */
    private static void facts(StringBuilder h, String id, String caption) {
        start(h, id, caption);
        h.append("<tbody role=\"rowgroup\">");
    }

    /**
     * A table and its caption, in a box of its own that scrolls sideways when the table is wider than the window:
     * a region named by the caption that the keyboard can reach, so that it can be scrolled without a mouse. Each
     * part of the table says its role, as its rows and cells do: Safari stops reading a table as one when its parts
     * are drawn as blocks, as they are on a phone.
     */
    private static void start(StringBuilder h, String id, String caption) {
        h.append("<div class=\"scroll\" role=\"region\" tabindex=\"0\" aria-labelledby=\"").append(id)
                .append("-caption\"><table id=\"").append(id).append("\" class=\"cards\" role=\"table\"")
                .append(" aria-labelledby=\"").append(id).append("-caption\"><caption id=\"").append(id)
                .append("-caption\">").append(escape(caption)).append("</caption>");
    }

    /** A fact that is a measured number, right-aligned as the numbers of the card's tables; text when there is none. */
    private static void measure(StringBuilder h, String label, Double value) {
        if (value == null) {
            row(h, label, ModelCard.NOT_PROVIDED);
            return;
        }
        h.append("<tr role=\"row\"><th scope=\"row\" role=\"rowheader\">").append(escape(label))
                .append("</th><td role=\"cell\" class=\"num\">").append(ModelCard.measured(value)).append("</td></tr>");
    }

    private static void row(StringBuilder h, String label, String value) {
        h.append("<tr role=\"row\"><th scope=\"row\" role=\"rowheader\">").append(escape(label))
                .append("</th><td role=\"cell\">").append(escape(value == null ? "" : value)).append("</td></tr>");
    }

    static String escape(String text) {
        return HtmlText.escape(text);
    }
}
