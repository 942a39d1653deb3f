package health.vigil.functions.scoring.explanation;

import static health.vigil.explain.ClinicalExplainer.FACTOR_SEPARATOR;
import static health.vigil.explain.ClinicalExplainer.inSentence;
import static health.vigil.functions.common.html.Html.escape;
import static health.vigil.functions.common.html.Html.points;

import health.vigil.functions.common.html.Html;
import health.vigil.model.Explanation.Direction;
import health.vigil.scoring.PredictionExplanation;
import health.vigil.scoring.PredictionExplanation.ClinicalFactor;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The clinician's view of one prediction: the risk against the baseline and the decision threshold, a waterfall
 * of the factors that moved it (an SVG with a text alternative and the same numbers in a table), the model
 * version with a link to its card, and what the model was not validated for. Direction is said in words and
 * drawn as solid (raises) or hatched (lowers) bars, never by colour alone.
 */
public final class ExplanationPage {
    /**
     * The chart's own width. Each row's label and value stand on a line above its bar, so the bars take the whole
     * width and the chart reads on a phone 360 px wide at a size its text stays legible, without scrolling sideways.
     */
    private static final int WIDTH = 420;
    /** The widest the chart is drawn: its text then about the size of the page's. */
    private static final int MAX_DRAWN_WIDTH = 520;
    /** Room on either side of the bars for the axis' first and last figures. */
    private static final int SIDE = 18;
    /** A row: the label's line, then the bar. */
    private static final int ROW = 44;
    private static final int LABEL_LINE = 20;
    private static final int BAR = 18;
    private static final int TOP = 34;

    private ExplanationPage() {}

    /** A whole page. */
    public static String page(PredictionExplanation e) {
        return Html.document("Why this risk: " + e.model().value() + " version " + e.version(),
                "<main id=\"main\">" + fragment(e) + "</main>");
    }

    /**
     * The view as one section a clinical application can embed in its own page, with its own style element whose
     * rules reach only into the section: embedding it restyles nothing of the page around it. It is headed by an h2
     * (its parts by h3s): the page around it has its own h1, the patient's or the screen's, and a page should have
     * only one.
     */
    public static String embeddable(PredictionExplanation e) {
        return "<style>" + Html.scopedStyle("section.vigil-explanation") + "</style>" + fragment(e, e.modelCard(), 2);
    }

    /** The section itself, styled by the page around it, linking to the card API, headed by an h1: a page's own. */
    public static String fragment(PredictionExplanation e) {
        return fragment(e, e.modelCard(), 1);
    }

    /**
     * The section itself, its card link going to {@code cardHref} (where the page around it shows cards), its title
     * a heading of {@code level} and its parts one level below: 2 inside a page that has its own h1, which a page
     * should have only one of.
     */
    public static String fragment(PredictionExplanation e, String cardHref, int level) {
        if (level < 1 || level > 5) {
            throw new IllegalArgumentException("a heading level is 1 to 5 (its parts take the level below); got " + level);
        }
        String part = "h" + (level + 1);
        StringBuilder html = new StringBuilder(8192);
        String ids = idSuffix(e);
        html.append("<section class=\"vigil-explanation\" aria-labelledby=\"explanation-title").append(ids)
                .append("\">");
        html.append("<h").append(level).append(" id=\"explanation-title").append(ids)
                .append("\">Why the model gave this risk</h").append(level).append('>');
        html.append("<dl class=\"facts\">");
        // The positive label is an outcome ("readmitted within 30 days", "complication within 30 days of surgery"),
        // which reads after "Risk" only in brackets: "Risk of readmitted" is not English.
        int decimals = decimals(e);
        fact(html, "Risk (" + e.positiveLabel() + ")", percent(e.risk(), decimals), "risk");
        fact(html, "Baseline (the average patient)", percent(e.baseline(), 1), "baseline");
        fact(html, "Decision threshold", percent(e.threshold(), decimals), "threshold");
        fact(html, "Decision", e.decision()
                ? "At or above the threshold: flagged as likely " + e.positiveLabel()
                : "Below the threshold: not flagged", "decision");
        html.append("</dl>");
        replaced(e).ifPresent(notice -> html.append("<p class=\"status-bad\" data-fact=\"version-now\">")
                .append(escape(notice)).append("</p>"));
        html.append("<p class=\"summary\">").append(escape(summary(e))).append("</p>");
        html.append(waterfall(e));
        html.append(table(e));
        html.append('<').append(part).append(">Model</").append(part).append("><p>").append(escape(e.model().value())).append(" version ").append(e.version())
                .append(" (").append(escape(e.slot().wireName())).append(" slot), scored ")
                .append(Html.time(e.time())).append(". <a href=\"").append(escape(cardHref))
                .append("\">Model card of ").append(escape(e.model().value())).append(" version ").append(e.version())
                .append("</a></p>");
        if (e.intendedUse() != null && !e.intendedUse().isBlank()) {
            html.append('<').append(part).append(">Intended use</").append(part).append("><p>").append(escape(e.intendedUse())).append("</p>");
        }
        html.append('<').append(part).append(">What this model was not validated for</").append(part).append('>');
        if (e.limitations().isEmpty()) {
            html.append("<p>The model's package states no limitations; read its model card before relying on it.</p>");
        } else {
            html.append("<ul class=\"limitations\">");
            e.limitations().forEach(l -> html.append("<li>").append(escape(l)).append("</li>"));
            html.append("</ul>");
        }
        html.append("<p class=\"muted\">The factors are the model's own attribution (SHAP) recorded when the"
                + " patient was scored; they explain the model, not the patient's condition.</p>");
        return html.append("</section>").toString();
    }

    /**
     * What a clinician must know before acting on an explanation read after its version left live traffic: that the
     * risk is no longer the one the model gives, and what to do.
     */
    static Optional<String> replaced(PredictionExplanation e) {
        String since = switch (e.versionStage()) {
            case ROLLED_BACK -> " was rolled back after this patient was scored: it was taken off live traffic because"
                    + " it behaved worse than the version before it.";
            case RETIRED -> " no longer scores patients: another version of the model has taken its place since this"
                    + " patient was scored.";
            default -> null;
        };
        return Optional.ofNullable(since).map(s -> "Version " + e.version() + since
                + " Score the patient again for the risk the model gives now.");
    }

    private static void fact(StringBuilder html, String term, String value, String name) {
        html.append("<dt>").append(escape(term)).append("</dt><dd data-fact=\"").append(name).append("\">")
                .append(escape(value)).append("</dd>");
    }

    /**
     * One sentence in words, read first by screen readers: the chart's text alternative. Factors are listed as the
     * scoring answer's summary lists them ({@link health.vigil.explain.ClinicalExplainer#inSentence}), so that
     * neither a label's comma nor the missing mark's reads as the list's.
     */
    static String summary(PredictionExplanation e) {
        int decimals = decimals(e);
        StringBuilder text = new StringBuilder("Risk ").append(percent(e.risk(), decimals))
                .append(" against a baseline of ").append(percent(e.baseline(), 1))
                .append(" and a decision threshold of ").append(percent(e.threshold(), decimals)).append('.');
        List<String> raised = new ArrayList<>();
        List<String> lowered = new ArrayList<>();
        for (ClinicalFactor f : e.factors()) {
            String part = inSentence(f.label()) + unitInBrackets(f) + missingMark(f) + " ("
                    + points(f.probabilityContribution()) + ")";
            (f.direction() == Direction.RAISES ? raised : lowered).add(part);
        }
        if (!raised.isEmpty()) {
            text.append(" Raised by ").append(String.join(FACTOR_SEPARATOR, raised)).append('.');
        }
        if (!lowered.isEmpty()) {
            text.append(" Lowered by ").append(String.join(FACTOR_SEPARATOR, lowered)).append('.');
        }
        if (e.factors().isEmpty()) {
            text.append(" No feature moved the risk from the baseline.");
        }
        return text.toString();
    }

    /**
     * How many decimals of a percentage the risk and the threshold are shown with: one, or as many more (up to four)
     * as it takes for a risk that is not the threshold not to read as it. A risk of 16.052 % under a threshold of
     * 16.053 % would otherwise read "16.1 %" twice beside "Below the threshold: not flagged".
     */
    static int decimals(PredictionExplanation e) {
        int decimals = 1;
        while (decimals < 4 && e.risk() != e.threshold()
                && percent(e.risk(), decimals).equals(percent(e.threshold(), decimals))) {
            decimals++;
        }
        return decimals;
    }

    /**
     * A probability as a percentage with {@code decimals} decimals, never rounded to certainty or to none: 0.99996
     * is "&gt;99.9 %", not "100.0 %", and 0.0004 is "&lt;0.1 %", not "0.0 %"; number and sign joined by a no-break space
     * as {@link Html#percent} joins them.
     */
    static String percent(double p, int decimals) {
        if (!Double.isFinite(p)) {
            return Html.percent(p);
        }
        String shown = String.format(Locale.ROOT, "%." + decimals + "f", p * 100);
        String smallest = String.format(Locale.ROOT, "%." + decimals + "f", Math.pow(10, -decimals));
        if (p > 0 && Double.parseDouble(shown) == 0) {
            return "<" + smallest + "\u00a0%";
        }
        if (p < 1 && Double.parseDouble(shown) == 100) {
            return ">" + String.format(Locale.ROOT, "%." + decimals + "f", 100 - Math.pow(10, -decimals)) + "\u00a0%";
        }
        return shown + "\u00a0%";
    }

    /** The factor's label and unit, and that its value was missing when it was: its effect is a missing value's. */
    private static String name(ClinicalFactor f) {
        return labelAndUnit(f) + missingMark(f);
    }

    private static String labelAndUnit(ClinicalFactor f) {
        return f.label() + unitInBrackets(f);
    }

    private static String unitInBrackets(ClinicalFactor f) {
        return f.unit() == null || f.unit().isBlank() ? "" : " (" + f.unit() + ")";
    }

    /** What follows a factor's name when its value was missing; a label cut short in the chart keeps it. */
    private static String missingMark(ClinicalFactor f) {
        return f.missingValue() == null ? "" : ", missing";
    }

    private static String word(Direction d) {
        return switch (d) {
            case RAISES -> "raises risk";
            case LOWERS -> "lowers risk";
            case NEUTRAL -> "no effect";
        };
    }

    /**
     * What the fragment's element ids end with: the prediction's id (hexadecimal digits and hyphens), so that a host
     * page showing several patients' explanations has no two elements of one id, and each waterfall fills its bars
     * with its own pattern.
     */
    static String idSuffix(PredictionExplanation e) {
        return e.predictionId() == null ? "" : "-" + e.predictionId().replaceAll("[^0-9A-Za-z-]", "");
    }

    /**
     * Baseline, one step per top factor, the other features together, and the risk; the threshold as a dashed
     * line. Steps are drawn from the running total, so the last bar ends where the risk is.
     */
    static String waterfall(PredictionExplanation e) {
        List<String[]> rows = new ArrayList<>();
        double running = e.baseline();
        double max = Math.max(Math.max(e.baseline(), e.risk()), e.threshold());
        double min = 0;
        List<double[]> steps = new ArrayList<>();
        for (ClinicalFactor f : e.factors()) {
            steps.add(new double[] {running, running + f.probabilityContribution()});
            running += f.probabilityContribution();
            max = Math.max(max, running);
        }
        double other = e.otherFactors();
        boolean showOther = Math.abs(other) >= 0.0005;
        if (showOther) {
            max = Math.max(max, running + other);
        }
        double scaleMax = Math.min(1, Math.ceil(max * 1.1 * 20) / 20);
        if (scaleMax <= 0) {
            scaleMax = 0.05;
        }
        int bars = e.factors().size() + (showOther ? 1 : 0) + 2;
        int axisY = TOP + bars * ROW + 2;
        int height = axisY + 26;
        int plotLeft = SIDE;
        int plotWidth = WIDTH - 2 * SIDE;
        final double scale = scaleMax;
        java.util.function.DoubleFunction<Double> x = p -> plotLeft + (p - min) / (scale - min) * plotWidth;

        String ids = idSuffix(e);
        StringBuilder svg = new StringBuilder(4096);
        svg.append("<figure><svg class=\"waterfall\" role=\"img\" aria-labelledby=\"wf-title").append(ids)
                .append(" wf-desc").append(ids).append("\" viewBox=\"0 0 ")
                .append(WIDTH).append(' ').append(height).append("\" width=\"100%\" style=\"max-width:").append(MAX_DRAWN_WIDTH)
                .append("px\" xmlns=\"http://www.w3.org/2000/svg\">");
        svg.append("<title id=\"wf-title").append(ids)
                .append("\">How each factor moved the risk from the baseline</title>");
        svg.append("<desc id=\"wf-desc").append(ids).append("\">").append(escape(summary(e))).append("</desc>");
        svg.append("<defs><pattern id=\"hatch").append(ids)
                .append("\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\""
                + " patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#fff\"/>"
                + "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"").append(Html.LOWERS)
                .append("\" stroke-width=\"3\"/></pattern></defs>");
        // Axis ticks every 5 or 10 points.
        double tick = scaleMax > 0.5 ? 0.1 : scaleMax > 0.2 ? 0.05 : 0.02;
        for (double t = 0; t <= scaleMax + 1e-9; t += tick) {
            double tx = x.apply(t);
            svg.append(line(tx, TOP - 6, tx, axisY, "#d0d0d0", null));
            svg.append(text(tx, axisY + 16, String.format(Locale.ROOT, "%.0f%%", t * 100), "middle", Html.MUTED));
        }
        double thresholdX = x.apply(Math.min(e.threshold(), scaleMax));
        svg.append(line(thresholdX, TOP - 14, thresholdX, axisY, Html.INK, "6 4"));
        int decimals = decimals(e);
        // Said beside its line, towards the middle of the chart when the line is near an edge, so it is never cut.
        String thresholdAnchor = thresholdX < WIDTH / 3.0 ? "start" : thresholdX > WIDTH * 2 / 3.0 ? "end" : "middle";
        svg.append(text(thresholdX, TOP - 18, "threshold " + percent(e.threshold(), decimals), thresholdAnchor, Html.INK));

        int row = 0;
        svg.append(bar(x.apply(0), x.apply(e.baseline()), TOP + row * ROW, "total", "#6b6b6b"));
        svg.append(rowLabel(TOP + row * ROW, "Baseline", "", percent(e.baseline(), 1)));
        row++;
        for (int i = 0; i < e.factors().size(); i++) {
            ClinicalFactor f = e.factors().get(i);
            double[] s = steps.get(i);
            svg.append(factorBar(x.apply(Math.min(s[0], s[1])), x.apply(Math.max(s[0], s[1])), TOP + row * ROW,
                    f.direction(), ids));
            svg.append(rowLabel(TOP + row * ROW, labelAndUnit(f), missingMark(f),
                    arrow(f.direction()) + points(f.probabilityContribution())));
            row++;
        }
        if (showOther) {
            double from = running;
            double to = running + other;
            svg.append(factorBar(x.apply(Math.min(from, to)), x.apply(Math.max(from, to)), TOP + row * ROW,
                    Direction.of(other), ids).replace("class=\"factor ", "class=\"other "));
            svg.append(rowLabel(TOP + row * ROW, "All other features", "", arrow(Direction.of(other)) + points(other)));
            row++;
        }
        svg.append(bar(x.apply(0), x.apply(e.explainedRisk()), TOP + row * ROW, "total", Html.INK));
        svg.append(rowLabel(TOP + row * ROW, "Risk", "", percent(e.risk(), decimals)));
        svg.append("</svg><figcaption>Solid bars raise the risk, hatched bars lower it; the dashed line is the"
                + " decision threshold. The table below gives the same numbers.</figcaption></figure>");
        return svg.toString();
    }

    /** The direction as a symbol before a change: every row of the waterfall that moves the risk has one. */
    private static String arrow(Direction d) {
        return switch (d) {
            case RAISES -> "\u25b2 ";
            case LOWERS -> "\u25bc ";
            case NEUTRAL -> "";
        };
    }

    private static String factorBar(double x0, double x1, int y, Direction d, String ids) {
        String fill = d == Direction.LOWERS ? "url(#hatch" + ids + ")" : Html.RAISES;
        String stroke = d == Direction.LOWERS ? Html.LOWERS : Html.RAISES;
        return "<rect class=\"factor " + d.wireName() + "\" x=\"" + f(x0) + "\" y=\"" + (y + LABEL_LINE) + "\" width=\""
                + f(Math.max(1.5, x1 - x0)) + "\" height=\"" + BAR + "\" fill=\"" + fill + "\" stroke=\""
                + stroke + "\"/>";
    }

    private static String bar(double x0, double x1, int y, String cls, String fill) {
        return "<rect class=\"" + cls + "\" x=\"" + f(x0) + "\" y=\"" + (y + LABEL_LINE) + "\" width=\""
                + f(Math.max(1.5, x1 - x0)) + "\" height=\"" + BAR + "\" fill=\"" + fill + "\"/>";
    }

    /**
     * A row's label and value on the line above its bar, the label cut to the chart's 34 characters when longer; the
     * cut falls in {@code label}, never in {@code kept}, which follows it whole (that the value was missing must never
     * be cut off). Both are drawn on a white halo, so the grid and the threshold's line pass behind them, not through.
     */
    private static String rowLabel(int y, String label, String kept, String value) {
        // Counted in code points, so a character beyond the BMP is never cut in half.
        int room = 34 - kept.codePointCount(0, kept.length());
        String shown = (label.codePointCount(0, label.length()) > room
                ? label.substring(0, label.offsetByCodePoints(0, room - 1)) + "\u2026" : label) + kept;
        return haloed(text(SIDE, y + LABEL_LINE - 5, shown, "start", Html.INK))
                + haloed(text(WIDTH - SIDE, y + LABEL_LINE - 5, value, "end", Html.INK));
    }

    private static String haloed(String text) {
        return text.replace("<text ", "<text stroke=\"#fff\" stroke-width=\"4\" paint-order=\"stroke\" ");
    }

    private static String line(double x1, double y1, double x2, double y2, String stroke, String dash) {
        return "<line x1=\"" + f(x1) + "\" y1=\"" + f(y1) + "\" x2=\"" + f(x2) + "\" y2=\"" + f(y2) + "\" stroke=\""
                + stroke + "\"" + (dash == null ? "" : " stroke-dasharray=\"" + dash + "\" stroke-width=\"2\"") + "/>";
    }

    private static String text(double x, double y, String content, String anchor, String fill) {
        return "<text x=\"" + f(x) + "\" y=\"" + f(y) + "\" text-anchor=\"" + anchor + "\" font-size=\"13\" fill=\""
                + fill + "\">" + escape(content) + "</text>";
    }

    private static String f(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    /**
     * The chart's numbers as a table: what a screen reader or a copy into a note needs. A factor's unit follows its
     * name in brackets, as the summary writes it, so three columns fit a phone's width without scrolling.
     */
    static String table(PredictionExplanation e) {
        String ids = idSuffix(e);
        StringBuilder t = new StringBuilder("<div class=\"table-scroll\" role=\"region\" tabindex=\"0\""
                + " aria-labelledby=\"factors-caption" + ids + "\"><table class=\"factors\"><caption id=\"factors-caption"
                + ids + "\">Top factors, largest effect first</caption><thead><tr><th scope=\"col\">Factor</th><th scope=\"col\">Effect"
                + "</th><th scope=\"col\" class=\"num\">Change in risk</th></tr></thead><tbody>");
        for (ClinicalFactor f : e.factors()) {
            t.append("<tr><th scope=\"row\">").append(escape(labelAndUnit(f)));
            if (f.missingValue() != null) {
                t.append("<br><span class=\"muted\" data-fact=\"missing\">").append(escape(f.missingValue()))
                        .append("</span>");
            }
            t.append("</th><td class=\"")
                    .append(f.direction().wireName()).append("\">").append(word(f.direction())).append("</td><td class=\"num\">")
                    .append(escape(points(f.probabilityContribution()))).append("</td></tr>");
        }
        t.append("<tr><th scope=\"row\">All other features</th><td>")
                .append(word(Direction.of(e.otherFactors()))).append("</td><td class=\"num\">")
                .append(escape(points(e.otherFactors()))).append("</td></tr>");
        return t.append("</tbody></table></div>").toString();
    }
}
