package health.vigil.cli.dashboard;

import static health.vigil.functions.common.html.Html.escape;

import health.vigil.functions.common.html.Html;
import java.util.List;
import java.util.Locale;

/**
 * The dashboard's SVG charts. Each has a title and a description (its text alternative) and sits beside a
 * table with the same numbers; series differ by line pattern and marker shape as well as by colour, and every
 * data point is an element of class {@code point} (or {@code bar}) so it can be counted.
 *
 * <p>A chart is drawn to the width of the page, up to {@link #MAX_DRAWN_WIDTH}: its legend stands below the plot, not
 * beside it, so that the chart is narrow enough for its 12-unit text to read at 9 px or more on a phone 360 px wide.
 */
final class Charts {
    private static final int WIDTH = 440;
    /** The widest a chart is drawn, in CSS pixels: its text then about the size of the page's. */
    private static final int MAX_DRAWN_WIDTH = 560;
    /** The plot's height, with the x axis' labels and title under it; the legend's lines follow. */
    private static final int HEIGHT = 300;
    private static final int LEFT = 72;
    private static final int RIGHT = 16;
    private static final int TOP = 20;
    private static final int BOTTOM = 50;
    /** A line of the legend. */
    private static final int LEGEND_LINE = 20;
    private static final String[] COLOURS = {"#13294b", "#a4161a", "#1d6b35", "#6a3d9a", "#8a4b08", "#3a3a3a"};
    /** Where a legend's lines begin: under the plot, in line with its y axis' figures. */
    private static final int LEGEND_X = 24;
    /** The longest name a legend's line shows whole, in the width under the plot. */
    private static final int LEGEND_CHARACTERS = 48;
    private static final String[] DASHES = {null, "8 4", "2 3", "10 3 2 3", "4 4", "1 2"};

    private Charts() {}

    /** One line: its name and a value per x position (null where there is none). */
    record Series(String name, List<Double> values) {}

    /**
     * A line chart over labelled x positions, with an optional horizontal rule (a threshold) that is named in
     * the legend.
     */
    static String lines(String id, String title, String description, List<String> xLabels, List<Series> series,
            String yLabel, Double rule, String ruleLabel) {
        return lines(id, title, description, xLabels, series, yLabel, rule, ruleLabel, null, null);
    }

    /** A shaded interval around a line (a confidence band): its name and its lower and upper values per x position. */
    record Band(String name, List<Double> lower, List<Double> upper) {}

    /**
     * The line chart with a band drawn under the lines (hatched, and named in the legend) and, when {@code top} is
     * given, a fixed upper end of the y axis (1 for probabilities and AUROC).
     */
    static String lines(String id, String title, String description, List<String> xLabels, List<Series> series,
            String yLabel, Double rule, String ruleLabel, Band band, Double fixedTop) {
        double max = rule == null ? 0 : rule;
        for (Series s : series) {
            for (Double v : s.values()) {
                if (v != null && Double.isFinite(v)) {
                    max = Math.max(max, v);
                }
            }
        }
        double top = fixedTop != null ? fixedTop : niceCeiling(max);
        int plotWidth = WIDTH - LEFT - RIGHT;
        int plotHeight = HEIGHT - TOP - BOTTOM;
        int n = xLabels.size();
        int legendLines = (band == null ? 0 : 1) + series.size() + (rule == null ? 0 : 1);
        StringBuilder svg = open(id, title, description, legendLines);
        axes(svg, top, yLabel);
        int legendY = HEIGHT + LEGEND_LINE / 2;
        if (band != null) {
            svg.append(hatch(id + "-band", "#8a8a8a"));
            // One polygon per run of positions that have both ends.
            int i = 0;
            while (i < n) {
                List<Integer> run = new java.util.ArrayList<>();
                while (i < n && band.lower().get(i) != null && band.upper().get(i) != null) {
                    run.add(i++);
                }
                if (!run.isEmpty()) {
                    StringBuilder poly = new StringBuilder();
                    for (int r : run) {
                        poly.append(f(x(r, n, plotWidth))).append(',').append(f(y(band.upper().get(r), top, plotHeight))).append(' ');
                    }
                    for (int k = run.size() - 1; k >= 0; k--) {
                        int r = run.get(k);
                        poly.append(f(x(r, n, plotWidth))).append(',').append(f(y(band.lower().get(r), top, plotHeight))).append(' ');
                    }
                    if (run.size() == 1) {
                        // A band of one position is drawn as a short bar so it can be seen.
                        int r = run.get(0);
                        double px = x(r, n, plotWidth);
                        poly = new StringBuilder(f(px - 4) + "," + f(y(band.upper().get(r), top, plotHeight)) + " "
                                + f(px + 4) + "," + f(y(band.upper().get(r), top, plotHeight)) + " " + f(px + 4) + ","
                                + f(y(band.lower().get(r), top, plotHeight)) + " " + f(px - 4) + ","
                                + f(y(band.lower().get(r), top, plotHeight)));
                    }
                    svg.append("<polygon class=\"band\" points=\"").append(poly.toString().strip())
                            .append("\" fill=\"url(#").append(id).append("-band)\" stroke=\"#8a8a8a\"/>");
                }
                while (i < n && (band.lower().get(i) == null || band.upper().get(i) == null)) {
                    i++;
                }
            }
            int lx = LEGEND_X;
            svg.append("<rect x=\"").append(lx).append("\" y=\"").append(legendY - 6).append("\" width=\"26\" height=\"12\""
                    + " fill=\"url(#").append(id).append("-band)\" stroke=\"#8a8a8a\"/>");
            svg.append(text(lx + 32, legendY + 4, truncate(band.name(), LEGEND_CHARACTERS), "start"));
            legendY += LEGEND_LINE;
        }
        for (int i : labelled(n, n <= 1 ? plotWidth : (plotWidth - 20.0) / (n - 1), xLabels)) {
            svg.append(text(x(i, n, plotWidth), HEIGHT - BOTTOM + 18, xLabels.get(i), "middle"));
        }
        if (rule != null) {
            double ry = y(rule, top, plotHeight);
            svg.append("<line class=\"rule\" x1=\"").append(LEFT).append("\" x2=\"").append(LEFT + plotWidth)
                    .append("\" y1=\"").append(f(ry)).append("\" y2=\"").append(f(ry))
                    .append("\" stroke=\"").append(Html.INK).append("\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>");
        }
        for (int s = 0; s < series.size(); s++) {
            Series line = series.get(s);
            String colour = COLOURS[s % COLOURS.length];
            String dash = DASHES[s % DASHES.length];
            StringBuilder path = new StringBuilder();
            StringBuilder points = new StringBuilder();
            boolean pen = false;
            for (int i = 0; i < line.values().size(); i++) {
                Double v = line.values().get(i);
                if (v == null || !Double.isFinite(v)) {
                    pen = false;
                    continue;
                }
                double px = x(i, n, plotWidth);
                double py = y(v, top, plotHeight);
                path.append(pen ? " L" : " M").append(f(px)).append(' ').append(f(py));
                pen = true;
                points.append(marker(s, px, py, colour, line.name() + ", " + xLabels.get(i) + ": "
                        + Html.number(v, 3)));
            }
            svg.append("<g class=\"series\" data-series=\"").append(escape(line.name())).append("\">");
            if (path.length() > 0) {
                svg.append("<path d=\"").append(path.toString().strip()).append("\" fill=\"none\" stroke=\"")
                        .append(colour).append("\" stroke-width=\"2\"")
                        .append(dash == null ? "" : " stroke-dasharray=\"" + dash + "\"").append("/>");
            }
            svg.append(points).append("</g>");
            // Legend: the line's pattern and marker next to its name.
            int lx = LEGEND_X;
            svg.append("<line x1=\"").append(lx).append("\" x2=\"").append(lx + 26).append("\" y1=\"").append(legendY)
                    .append("\" y2=\"").append(legendY).append("\" stroke=\"").append(colour).append("\" stroke-width=\"2\"")
                    .append(dash == null ? "" : " stroke-dasharray=\"" + dash + "\"").append("/>");
            svg.append(marker(s, lx + 13, legendY, colour, null).replace("class=\"point\"", "class=\"legend-mark\""));
            svg.append(text(lx + 32, legendY + 4, truncate(line.name(), LEGEND_CHARACTERS), "start"));
            legendY += LEGEND_LINE;
        }
        if (rule != null) {
            int lx = LEGEND_X;
            svg.append("<line x1=\"").append(lx).append("\" x2=\"").append(lx + 26).append("\" y1=\"").append(legendY)
                    .append("\" y2=\"").append(legendY).append("\" stroke=\"").append(Html.INK)
                    .append("\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>");
            svg.append(text(lx + 32, legendY + 4, truncate(ruleLabel, LEGEND_CHARACTERS), "start"));
        }
        return close(svg);
    }

    /**
     * Two distributions over the same bins, side by side in each bin: the reference hatched, production solid. The x
     * axis is marked at the bins' edges ({@code edges}, one more than bins), a short number each, so that ten bins'
     * labels never run into each other as "0.08–0.09" beside "0.09–0.10" did.
     */
    static String distribution(String id, String title, String description, List<Double> edges,
            List<Double> reference, List<Double> production) {
        List<String> binLabels = new java.util.ArrayList<>();
        for (int i = 0; i + 1 < edges.size(); i++) {
            binLabels.add(Html.number(edges.get(i), 2) + "\u2013" + Html.number(edges.get(i + 1), 2));
        }
        double max = 0;
        for (int i = 0; i < binLabels.size(); i++) {
            max = Math.max(max, Math.max(reference.get(i), production.get(i)));
        }
        double top = niceCeiling(max);
        int plotWidth = WIDTH - LEFT - RIGHT;
        int plotHeight = HEIGHT - TOP - BOTTOM;
        int n = binLabels.size();
        double slot = (double) plotWidth / Math.max(1, n);
        double barWidth = Math.max(2, slot * 0.4);
        StringBuilder svg = open(id, title, description, 2);
        svg.append("<defs><pattern id=\"").append(id).append("-hatch\" width=\"6\" height=\"6\""
                + " patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\""
                + " fill=\"#fff\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#4a4a4a\" stroke-width=\"3\"/>"
                + "</pattern></defs>");
        axes(svg, top, "share of predictions", Html::percent);
        List<String> edgeLabels = edges.stream().map(e -> Html.number(e, 2)).toList();
        for (int i : labelled(n + 1, slot, edgeLabels)) {
            svg.append(text(LEFT + i * slot, HEIGHT - BOTTOM + 18, edgeLabels.get(i), "middle"));
        }
        svg.append(text(LEFT + plotWidth / 2.0, HEIGHT - 12, "predicted risk (edges of the risk bands)", "middle"));
        for (int i = 0; i < n; i++) {
            double x0 = LEFT + i * slot + slot * 0.1;
            double refHeight = reference.get(i) / top * plotHeight;
            double prodHeight = production.get(i) / top * plotHeight;
            svg.append("<rect class=\"bar reference\" x=\"").append(f(x0)).append("\" y=\"")
                    .append(f(TOP + plotHeight - refHeight)).append("\" width=\"").append(f(barWidth))
                    .append("\" height=\"").append(f(refHeight)).append("\" fill=\"url(#").append(id)
                    .append("-hatch)\" stroke=\"#4a4a4a\"><title>training, ").append(escape(binLabels.get(i)))
                    .append(": ").append(Html.percent(reference.get(i))).append("</title></rect>");
            svg.append("<rect class=\"bar production\" x=\"").append(f(x0 + barWidth)).append("\" y=\"")
                    .append(f(TOP + plotHeight - prodHeight)).append("\" width=\"").append(f(barWidth))
                    .append("\" height=\"").append(f(prodHeight)).append("\" fill=\"").append(COLOURS[0])
                    .append("\"><title>production, ").append(escape(binLabels.get(i))).append(": ")
                    .append(Html.percent(production.get(i))).append("</title></rect>");
        }
        int lx = LEGEND_X;
        int ly = HEIGHT + LEGEND_LINE / 2;
        svg.append("<rect x=\"").append(lx).append("\" y=\"").append(ly - 6).append("\" width=\"16\" height=\"12\" fill=\"url(#")
                .append(id).append("-hatch)\" stroke=\"#4a4a4a\"/>").append(text(lx + 22, ly + 4, "training", "start"));
        svg.append("<rect x=\"").append(lx).append("\" y=\"").append(ly + LEGEND_LINE - 6)
                .append("\" width=\"16\" height=\"12\" fill=\"").append(COLOURS[0]).append("\"/>")
                .append(text(lx + 22, ly + LEGEND_LINE + 4, "production", "start"));
        return close(svg);
    }

    /**
     * A deployment's live traffic as one bar split by slot; under it each part's slot, version and weight on a line of
     * its own beside the part's colour, so that a small share's label never runs off the chart's end.
     */
    static String weights(String id, String title, List<String> labels, List<Integer> basisPoints) {
        int bar = 32;
        int height = bar + 8 + labels.size() * LEGEND_LINE;
        StringBuilder svg = new StringBuilder(figure(title)).append("<svg id=\"").append(id).append("\" class=\"chart weights\" role=\"img\""
                + " aria-labelledby=\"").append(id).append("-title\" viewBox=\"0 0 ").append(WIDTH).append(' ')
                .append(height).append("\" width=\"100%\" style=\"max-width:").append(MAX_DRAWN_WIDTH)
                .append("px\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"").append(id).append("-title\">")
                .append(escape(title)).append("</title>");
        double x = 0;
        int line = 0;
        for (int i = 0; i < labels.size(); i++) {
            double w = WIDTH * basisPoints.get(i) / 10_000.0;
            if (w <= 0) {
                continue;
            }
            String fill = i == 0 ? COLOURS[0] : COLOURS[1];
            svg.append("<rect class=\"bar slot\" x=\"").append(f(x)).append("\" y=\"4\" width=\"").append(f(w))
                    .append("\" height=\"28\" fill=\"").append(fill).append("\" stroke=\"#fff\" stroke-width=\"2\"/>");
            int ly = bar + 8 + line * LEGEND_LINE + LEGEND_LINE / 2;
            svg.append("<rect x=\"0\" y=\"").append(ly - 6).append("\" width=\"16\" height=\"12\" fill=\"").append(fill)
                    .append("\"/><text x=\"22\" y=\"").append(ly + 5).append("\" font-size=\"13\" fill=\"").append(Html.INK)
                    .append("\">").append(escape(labels.get(i) + " " + Pages.weight(basisPoints.get(i)))).append("</text>");
            x += w;
            line++;
        }
        return close(svg);
    }

    /**
     * A share of traffic over time as a step line: it holds each point's value until the next point. The x axis is
     * time (proportional), the y axis 0-100 %; each point is a marker of class {@code point}.
     */
    static String steps(String id, String title, String description, List<java.time.Instant> times,
            List<Integer> basisPoints, String seriesName) {
        int plotWidth = WIDTH - LEFT - RIGHT;
        int plotHeight = HEIGHT - TOP - BOTTOM;
        StringBuilder svg = open(id, title, description, 0);
        double top = 1.0;
        axes(svg, top, "share of live traffic", v -> Math.round(v * 100) + " %");
        long first = times.get(0).toEpochMilli();
        long span = Math.max(1, times.get(times.size() - 1).toEpochMilli() - first);
        java.time.format.DateTimeFormatter clock = java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss")
                .withZone(java.time.ZoneOffset.UTC);
        StringBuilder path = new StringBuilder();
        StringBuilder points = new StringBuilder();
        double previousY = 0;
        for (int i = 0; i < times.size(); i++) {
            double px = times.size() == 1 ? LEFT + plotWidth / 2.0
                    : LEFT + 10 + (plotWidth - 20) * (double) (times.get(i).toEpochMilli() - first) / span;
            double py = y(basisPoints.get(i) / 10_000.0, top, plotHeight);
            if (i == 0) {
                path.append("M").append(f(px)).append(' ').append(f(py));
            } else {
                path.append(" L").append(f(px)).append(' ').append(f(previousY)).append(" L").append(f(px)).append(' ')
                        .append(f(py));
            }
            previousY = py;
            points.append(marker(0, px, py, COLOURS[1], seriesName + " " + Pages.weight(basisPoints.get(i)) + " from "
                    + clock.format(times.get(i)) + " UTC"));
            if (i == 0 || i == times.size() - 1) {
                svg.append(text(px, HEIGHT - BOTTOM + 18, clock.format(times.get(i)), i == 0 ? "start" : "end"));
            }
        }
        svg.append("<g class=\"series\" data-series=\"").append(escape(seriesName)).append("\"><path d=\"")
                .append(path).append("\" fill=\"none\" stroke=\"").append(COLOURS[1]).append("\" stroke-width=\"2\"/>")
                .append(points).append("</g>");
        svg.append(text(LEFT + plotWidth / 2.0, HEIGHT - 12, "time (UTC)", "middle"));
        return close(svg);
    }

    /**
     * The width of a label in the charts' 12 px text, generously: about 0.62 em a character (a digit is nearer 0.55),
     * and a gap of a third of an em, small enough that a chart as narrow as a phone still marks each of ten risk
     * bands' edges.
     */
    static double labelWidth(String label) {
        return label.length() * 12 * 0.62 + 4;
    }

    /**
     * Which of {@code n} evenly spaced x positions ({@code spacing} apart) get their label: the first, then every
     * k-th, k as small as keeps neighbouring labels apart, and the last, for which the one before it gives way when
     * the two would touch.
     */
    static List<Integer> labelled(int n, double spacing, List<String> labels) {
        double widest = labels.stream().mapToDouble(Charts::labelWidth).max().orElse(0);
        int every = Math.max(1, (int) Math.ceil(widest / Math.max(1e-9, spacing)));
        List<Integer> shown = new java.util.ArrayList<>();
        for (int i = 0; i < n; i += every) {
            shown.add(i);
        }
        if (n > 1 && shown.get(shown.size() - 1) != n - 1) {
            if (shown.size() > 1 && n - 1 - shown.get(shown.size() - 1) < every) {
                shown.remove(shown.size() - 1);
            }
            shown.add(n - 1);
        }
        return shown;
    }

    /** A diagonal hatch pattern: areas differ by pattern as well as by colour. */
    private static String hatch(String patternId, String colour) {
        return "<defs><pattern id=\"" + patternId + "\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\""
                + " patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#fff\"/><line x1=\"0\" y1=\"0\""
                + " x2=\"0\" y2=\"6\" stroke=\"" + colour + "\" stroke-width=\"2\"/></pattern></defs>";
    }

    /** One bin of a calibration plot: the mean predicted risk, the share that happened, and how many cases. */
    record CalibrationPoint(double predicted, double observed, long cases) {}

    /**
     * A calibration plot: observed share against mean predicted risk per bin, on 0-1 both ways, with the diagonal
     * of perfect calibration dashed. Each bin with cases is one point of class {@code point}.
     */
    static String calibration(String id, String title, String description, List<CalibrationPoint> bins) {
        int plotWidth = WIDTH - LEFT - RIGHT;
        int plotHeight = HEIGHT - TOP - BOTTOM;
        StringBuilder svg = open(id, title, description, 2);
        axes(svg, 1.0, "share that happened");
        double x0 = LEFT;
        double y0 = TOP + plotHeight;
        svg.append("<line class=\"rule\" x1=\"").append(f(x0)).append("\" y1=\"").append(f(y0)).append("\" x2=\"")
                .append(f(x0 + plotWidth)).append("\" y2=\"").append(TOP).append("\" stroke=\"").append(Html.INK)
                .append("\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>");
        for (int t = 0; t <= 4; t++) {
            svg.append(text(x0 + plotWidth * t / 4.0, HEIGHT - BOTTOM + 18, Html.number(t / 4.0, 2), "middle"));
        }
        svg.append(text(x0 + plotWidth / 2.0, HEIGHT - 12, "mean predicted risk", "middle"));
        StringBuilder path = new StringBuilder();
        StringBuilder points = new StringBuilder();
        for (CalibrationPoint b : bins) {
            if (b.cases() == 0) {
                continue;
            }
            double px = x0 + b.predicted() * plotWidth;
            double py = y0 - b.observed() * plotHeight;
            path.append(path.length() == 0 ? "M" : " L").append(f(px)).append(' ').append(f(py));
            points.append(marker(1, px, py, COLOURS[0], "predicted " + Html.percent(b.predicted()) + ", happened "
                    + Html.percent(b.observed()) + " of " + b.cases()));
        }
        svg.append("<g class=\"series\" data-series=\"observed\"><path d=\"").append(path)
                .append("\" fill=\"none\" stroke=\"").append(COLOURS[0]).append("\" stroke-width=\"2\"/>")
                .append(points).append("</g>");
        int lx = LEGEND_X;
        int ly = HEIGHT + LEGEND_LINE / 2;
        svg.append("<line x1=\"").append(lx).append("\" x2=\"").append(lx + 26).append("\" y1=\"").append(ly)
                .append("\" y2=\"").append(ly).append("\" stroke=\"").append(Html.INK)
                .append("\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>")
                .append(text(lx + 32, ly + 4, "perfectly calibrated", "start"));
        svg.append(marker(1, lx + 13, ly + LEGEND_LINE, COLOURS[0], null).replace("class=\"point\"", "class=\"legend-mark\""))
                .append(text(lx + 32, ly + LEGEND_LINE + 4, "observed per risk bin", "start"));
        return close(svg);
    }

    /** A chart's SVG, as high as its plot and {@code legendLines} lines of legend under it. */
    private static StringBuilder open(String id, String title, String description, int legendLines) {
        int height = HEIGHT + legendLines * LEGEND_LINE + (legendLines == 0 ? 0 : 4);
        return new StringBuilder(4096).append(figure(title)).append("<svg id=\"").append(id).append("\" class=\"chart\" role=\"img\""
                + " aria-labelledby=\"").append(id).append("-title ").append(id).append("-desc\" viewBox=\"0 0 ")
                .append(WIDTH).append(' ').append(height).append("\" width=\"100%\" style=\"max-width:").append(MAX_DRAWN_WIDTH)
                .append("px\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"").append(id).append("-title\">")
                .append(escape(title)).append("</title><desc id=\"").append(id).append("-desc\">")
                .append(escape(description)).append("</desc>");
    }

    /**
     * A chart's frame, its title shown above it. The chart is drawn to the frame's width, so nothing in it scrolls
     * and the frame takes no stop of the keyboard's.
     */
    private static String figure(String title) {
        return "<figure><figcaption class=\"title\">" + escape(title) + "</figcaption>";
    }

    private static String close(StringBuilder svg) {
        return svg.append("</svg></figure>").toString();
    }

    private static void axes(StringBuilder svg, double top, String yLabel) {
        axes(svg, top, yLabel, v -> Html.number(v, top < 0.1 ? 3 : 2));
    }

    private static void axes(StringBuilder svg, double top, String yLabel,
            java.util.function.DoubleFunction<String> tickLabel) {
        int plotWidth = WIDTH - LEFT - RIGHT;
        int plotHeight = HEIGHT - TOP - BOTTOM;
        int widestTick = 0;
        for (int t = 0; t <= 4; t++) {
            double value = top * t / 4;
            double py = y(value, top, plotHeight);
            String label = tickLabel.apply(value);
            widestTick = Math.max(widestTick, label.length());
            svg.append("<line x1=\"").append(LEFT).append("\" x2=\"").append(LEFT + plotWidth).append("\" y1=\"")
                    .append(f(py)).append("\" y2=\"").append(f(py)).append("\" stroke=\"#d0d0d0\"/>");
            svg.append(text(LEFT - 6, py + 4, label, "end"));
        }
        // The axis title, turned a quarter, left of the widest tick label (12 px text, at most about 7 px a
        // character): centred on titleX, its 13 px line spans 7 px either side.
        int titleX = Math.max(8, LEFT - 6 - widestTick * 7 - 9);
        svg.append("<line x1=\"").append(LEFT).append("\" x2=\"").append(LEFT).append("\" y1=\"").append(TOP)
                .append("\" y2=\"").append(TOP + plotHeight).append("\" stroke=\"").append(Html.INK).append("\"/>");
        svg.append("<line x1=\"").append(LEFT).append("\" x2=\"").append(LEFT + plotWidth).append("\" y1=\"")
                .append(TOP + plotHeight).append("\" y2=\"").append(TOP + plotHeight).append("\" stroke=\"")
                .append(Html.INK).append("\"/>");
        svg.append("<text x=\"").append(titleX).append("\" y=\"").append(TOP + plotHeight / 2)
                .append("\" font-size=\"13\" fill=\"").append(Html.MUTED)
                .append("\" text-anchor=\"middle\" transform=\"rotate(-90 ").append(titleX).append(' ')
                .append(TOP + plotHeight / 2).append(")\">").append(escape(yLabel)).append("</text>");
    }

    /** Circle, square, triangle, diamond...: the marker says which series as well as the colour does. */
    private static String marker(int series, double x, double y, String colour, String label) {
        String title = label == null ? "" : "<title>" + escape(label) + "</title>";
        return switch (series % 4) {
            case 0 -> "<circle class=\"point\" cx=\"" + f(x) + "\" cy=\"" + f(y) + "\" r=\"4\" fill=\"" + colour + "\">"
                    + title + "</circle>";
            case 1 -> "<rect class=\"point\" x=\"" + f(x - 4) + "\" y=\"" + f(y - 4) + "\" width=\"8\" height=\"8\" fill=\""
                    + colour + "\">" + title + "</rect>";
            case 2 -> "<polygon class=\"point\" points=\"" + f(x) + "," + f(y - 5) + " " + f(x + 5) + "," + f(y + 4) + " "
                    + f(x - 5) + "," + f(y + 4) + "\" fill=\"" + colour + "\">" + title + "</polygon>";
            default -> "<polygon class=\"point\" points=\"" + f(x) + "," + f(y - 5) + " " + f(x + 5) + "," + f(y) + " "
                    + f(x) + "," + f(y + 5) + " " + f(x - 5) + "," + f(y) + "\" fill=\"#fff\" stroke=\"" + colour
                    + "\" stroke-width=\"2\">" + title + "</polygon>";
        };
    }

    private static double x(int i, int n, int plotWidth) {
        return n <= 1 ? LEFT + plotWidth / 2.0 : LEFT + 10 + (plotWidth - 20) * (double) i / (n - 1);
    }

    private static double y(double v, double top, int plotHeight) {
        return TOP + plotHeight - v / top * plotHeight;
    }

    /** A round upper bound for an axis. */
    static double niceCeiling(double max) {
        if (!(max > 0)) {
            return 1;
        }
        double magnitude = Math.pow(10, Math.floor(Math.log10(max)));
        for (double step : new double[] {1, 2, 2.5, 5, 10}) {
            if (step * magnitude >= max * 1.05) {
                return step * magnitude;
            }
        }
        return 10 * magnitude;
    }

    private static String text(double x, double y, String content, String anchor) {
        return "<text x=\"" + f(x) + "\" y=\"" + f(y) + "\" font-size=\"12\" fill=\"" + Html.INK + "\" text-anchor=\""
                + anchor + "\">" + escape(content) + "</text>";
    }

    private static String truncate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max - 1) + "\u2026";
    }

    private static String f(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
