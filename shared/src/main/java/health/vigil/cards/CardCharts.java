package health.vigil.cards;

import health.vigil.model.GateCurves;
import java.util.List;
import java.util.Locale;

/**
 * The card's two charts as inline SVG, drawn from the gate report's curves so the HTML card needs nothing from
 * outside itself: the calibration plot (each bin's mean predicted risk against the observed rate, with the
 * diagonal of perfect calibration) and the ROC curve (with the diagonal of a useless model).
 */
final class CardCharts {
    // Sized so the smallest text (the ticks, 12 px) reads like the page's small print and the labels fit the margins.
    private static final int SIZE = 340;
    private static final int MARGIN = 52;
    private static final int PLOT = SIZE - 2 * MARGIN;

    private CardCharts() {}

    static String calibration(List<GateCurves.CalibrationBin> bins) {
        StringBuilder svg = open("calibration-plot", "Calibration plot", "Mean predicted risk", "Observed rate");
        StringBuilder line = new StringBuilder();
        long most = bins.stream().mapToLong(GateCurves.CalibrationBin::count).max().orElse(1);
        for (GateCurves.CalibrationBin bin : bins) {
            line.append(x(bin.meanScore())).append(',').append(y(bin.observedRate())).append(' ');
        }
        svg.append("<polyline class=\"curve\" fill=\"none\" stroke=\"#1f5fa8\" stroke-width=\"2\" points=\"")
                .append(line.toString().strip()).append("\"/>");
        for (GateCurves.CalibrationBin bin : bins) {
            double radius = 2.5 + 4.5 * Math.sqrt((double) bin.count() / most);
            svg.append(String.format(Locale.ROOT, "<circle cx=\"%s\" cy=\"%s\" r=\"%.1f\" fill=\"#1f5fa8\">"
                    + "<title>risk %.3f, observed %.3f, %d rows</title></circle>", x(bin.meanScore()),
                    y(bin.observedRate()), radius, bin.meanScore(), bin.observedRate(), bin.count()));
        }
        return svg.append("</svg>").toString();
    }

    static String roc(List<GateCurves.RocPoint> points) {
        StringBuilder svg = open("roc-curve", "ROC curve", "False positive rate", "True positive rate");
        StringBuilder line = new StringBuilder();
        for (GateCurves.RocPoint point : points) {
            line.append(x(point.falsePositiveRate())).append(',').append(y(point.truePositiveRate())).append(' ');
        }
        return svg.append("<polyline class=\"curve\" fill=\"none\" stroke=\"#b0413e\" stroke-width=\"2\" points=\"")
                .append(line.toString().strip()).append("\"/></svg>").toString();
    }

    /** The frame both charts share: axes from 0 to 1 with ticks, labels and the diagonal. */
    private static StringBuilder open(String id, String title, String xLabel, String yLabel) {
        StringBuilder svg = new StringBuilder();
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"").append(id).append("\" role=\"img\" width=\"")
                .append(SIZE).append("\" height=\"").append(SIZE).append("\" viewBox=\"0 0 ").append(SIZE).append(' ')
                .append(SIZE).append("\"><title>").append(title).append("</title>");
        svg.append("<rect x=\"").append(MARGIN).append("\" y=\"").append(MARGIN).append("\" width=\"").append(PLOT)
                .append("\" height=\"").append(PLOT).append("\" fill=\"#fff\" stroke=\"#444\"/>");
        for (int t = 0; t <= 4; t++) {
            double v = t / 4.0;
            svg.append(String.format(Locale.ROOT, "<text x=\"%s\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%.2f</text>",
                    x(v), SIZE - MARGIN + 16, v));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%s\" font-size=\"12\" text-anchor=\"end\" dominant-baseline=\"middle\">%.2f</text>",
                    MARGIN - 5, y(v), v));
        }
        svg.append("<line x1=\"").append(x(0)).append("\" y1=\"").append(y(0)).append("\" x2=\"").append(x(1))
                .append("\" y2=\"").append(y(1)).append("\" stroke=\"#999\" stroke-dasharray=\"4 4\"/>");
        svg.append("<text x=\"").append(SIZE / 2).append("\" y=\"").append(SIZE - 8)
                .append("\" font-size=\"14\" text-anchor=\"middle\">").append(xLabel).append("</text>");
        svg.append("<text x=\"16\" y=\"").append(SIZE / 2).append("\" font-size=\"14\" text-anchor=\"middle\" transform=\"rotate(-90 16 ")
                .append(SIZE / 2).append(")\">").append(yLabel).append("</text>");
        svg.append("<text x=\"").append(SIZE / 2).append("\" y=\"").append(MARGIN - 18)
                .append("\" font-size=\"15\" font-weight=\"bold\" text-anchor=\"middle\">").append(title).append("</text>");
        return svg;
    }

    private static String x(double value) {
        return String.format(Locale.ROOT, "%.1f", MARGIN + clamp(value) * PLOT);
    }

    private static String y(double value) {
        return String.format(Locale.ROOT, "%.1f", MARGIN + (1 - clamp(value)) * PLOT);
    }

    private static double clamp(double value) {
        return Math.max(0, Math.min(1, value));
    }
}
