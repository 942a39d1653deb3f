package health.vigil.functions.common.html;

import health.vigil.html.HtmlText;
import health.vigil.html.TableCards;
import java.time.Instant;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The one place Vigil's server-rendered pages are written from: escaping, number formats and the page shell
 * with its stylesheet. Pages are self-contained (no script, font or stylesheet from elsewhere), so they work on
 * machines without internet and under a Content-Security-Policy that allows nothing but inline styles.
 */
public final class Html {
    /**
     * Colours chosen for contrast on white (each at least 4.5:1, WCAG AA for text): ink, muted ink, the colour of
     * what raises a risk and of what lowers it. Meaning is never carried by colour alone: pages say it in words
     * and patterns too.
     */
    public static final String INK = "#1a1a1a";
    public static final String MUTED = "#4a4a4a";
    public static final String RAISES = "#a4161a";
    public static final String LOWERS = "#1d4e89";
    public static final String FOCUS = "#b35c00";

    /**
     * The stylesheet every page shares. On a narrow screen (a phone on a ward) nothing makes the page scroll sideways
     * and nothing hides sideways inside a box: a table of class {@code cards} is drawn as one card per row, each cell
     * after its column's header, by the rules the model card shares ({@link TableCards}), a fact's value stands under
     * its name, a chart is drawn to the width of the screen, the page's margins and a cell's padding narrow with the
     * screen, and a time, a number or a value marked {@code unbroken} is never broken over lines. On a wider screen a
     * fact's name takes at most 40 % of the line, and a table wider than the page scrolls inside its own box, which the
     * keyboard reaches. On a narrow screen that box around a table of cards no longer scrolls and is no keyboard stop:
     * a hidden element takes no focus, so the box is hidden and the table in it shown, the one way a stylesheet can
     * take a {@code tabindex} back. Each rule, and each {@code @media} block, is one line: {@link #scopedStyle} reads
     * them so.
     */
    public static final String STYLE = """
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;\
            color:%1$s;background:#fff;margin:0;line-height:1.45}
            header.site{background:#13294b;color:#fff;padding:.6rem 1rem;display:flex;gap:1.5rem;align-items:center;flex-wrap:wrap}
            header.site a{color:#fff}
            nav ul{list-style:none;display:flex;gap:1rem;margin:0;padding:0;flex-wrap:wrap}
            main{padding:1rem clamp(.75rem,3vw,1.5rem);max-width:76rem}
            a{color:#0b4a8b}
            a:focus,button:focus,input:focus,summary:focus{outline:3px solid %5$s;outline-offset:2px}
            table{border-collapse:collapse;margin:.5rem 0 1.5rem}
            caption{text-align:left;font-weight:600;padding:.3rem 0}
            th,td{border:1px solid #8a8a8a;padding:.3rem clamp(.35rem,1.2vw,.6rem);text-align:left;vertical-align:top}
            td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
            time,td.num,.unbroken{white-space:nowrap}
            td.num .wraps{white-space:normal}
            td.identifier{overflow-wrap:anywhere;min-width:16rem}
            .table-scroll{overflow-x:auto;max-width:100%%}
            .muted{color:%2$s}
            .raises{color:%3$s}
            .lowers{color:%4$s}
            .status-ok{font-weight:600}
            .status-bad{font-weight:600;color:%3$s}
            dl.facts{display:grid;grid-template-columns:fit-content(40%%) minmax(0,1fr);gap:.2rem 1rem}
            dl.facts dt{font-weight:600}
            dl.facts dd{margin:0;overflow-wrap:anywhere}
            figure{margin:1rem 0;overflow-x:auto}
            figcaption{color:%2$s;font-size:.95rem}
            figcaption.title{color:%1$s;font-weight:600;font-size:1rem}
            @media %6$s{%7$s\
             dl.facts{grid-template-columns:minmax(0,1fr);gap:0}dl.facts dd{margin-bottom:.4rem}\
             .table-scroll:has(> table.cards){visibility:hidden}.table-scroll:has(> table.cards)>*{visibility:visible}}
            .skip{position:absolute;left:-999px}
            .skip:focus{left:1rem;top:.5rem;background:#fff;color:%1$s;padding:.3rem}
            form.login{display:grid;gap:.5rem;max-width:28rem}
            input,button{font:inherit;padding:.35rem .5rem}
            input.identifier{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em}
            """.formatted(INK, MUTED, RAISES, LOWERS, FOCUS, TableCards.NARROW, TableCards.RULES);

    private Html() {}

    /** Text made safe for element content and for attribute values in double quotes. */
    public static String escape(Object value) {
        return HtmlText.escape(String.valueOf(value));
    }

    /**
     * Free text (a reason another component wrote) made safe as {@link #escape} makes it, with every number kept on
     * the line of the unit after it ("20 %", "+3.1 points"): a narrow screen must not leave "%" alone at the start of
     * a line.
     */
    public static String prose(Object value) {
        return NUMBER_AND_UNIT.matcher(escape(value)).replaceAll("$1\u00a0$2");
    }

    /** A number's last digit, a space and a unit that belongs to it. */
    private static final Pattern NUMBER_AND_UNIT = Pattern.compile("(\\d) (%|points\\b)");

    /**
     * A probability as a percentage with one decimal: 0.3127 is "31.3 %", joined by a no-break space (U+00A0) so that
     * a narrow screen never leaves "%" alone at the start of a line.
     */
    public static String percent(double probability) {
        if (!Double.isFinite(probability)) {
            return "\u2013";
        }
        return String.format(Locale.ROOT, "%.1f\u00a0%%", probability * 100);
    }

    /**
     * A change of probability in percentage points with its sign: +0.091 is "+9.1 points". A change too small for a
     * tenth of a point keeps its sign ("+&lt;0.1 points"), since a factor said to raise the risk must not read as
     * changing nothing; only a change of exactly nothing reads "no change". Number and unit are joined by a no-break
     * space, as in {@link #percent}.
     */
    public static String points(double change) {
        if (change == 0) {
            return "no change";
        }
        double rounded = Math.round(change * 1000) / 10.0;
        String sign = change > 0 ? "+" : "\u2212";
        return rounded == 0 ? sign + "<0.1\u00a0points"
                : sign + String.format(Locale.ROOT, "%.1f", Math.abs(rounded)) + "\u00a0points";
    }

    /** A number with {@code decimals} decimals, for tables and chart labels. */
    public static String number(double value, int decimals) {
        return Double.isFinite(value) ? String.format(Locale.ROOT, "%." + decimals + "f", value) : "\u2013";
    }

    /**
     * The shared stylesheet with every rule confined to the elements under {@code scope} (a CSS selector), and the
     * page-wide rules for {@code body} moved onto the scope itself: for a section embedded in someone else's page,
     * which must style itself and nothing around it.
     */
    public static String scopedStyle(String scope) {
        StringBuilder css = new StringBuilder(STYLE.length() * 2);
        for (String line : STYLE.split("\n")) {
            if (line.startsWith("@media")) {
                // "@media (...){rule rule ...}": the condition kept, each rule inside it confined as the others are.
                int open = line.indexOf('{');
                css.append(line, 0, open + 1);
                for (String rule : line.substring(open + 1, line.length() - 1).split("(?<=})")) {
                    scopeRule(css, scope, rule.strip());
                }
                css.append("}\n");
            } else if (line.indexOf('{') >= 0) {
                scopeRule(css, scope, line);
                css.append('\n');
            }
        }
        return css.toString();
    }

    private static void scopeRule(StringBuilder css, String scope, String rule) {
        int open = rule.indexOf('{');
        String[] selectors = rule.substring(0, open).split(",");
        for (int i = 0; i < selectors.length; i++) {
            String selector = selectors[i].strip();
            css.append(i == 0 ? "" : ",").append(selector.equals("body") ? scope : scope + " " + selector);
        }
        css.append(rule.substring(open));
    }

    /**
     * A moment as people read it, to the second in UTC ("2024-05-01 10:15:30 UTC"), in a {@code time} element whose
     * {@code datetime} keeps the exact instant for machines.
     */
    public static String time(Instant t) {
        return t == null ? "\u2013" : HtmlText.time(t);
    }

    /** A whole page: the shared style, a title, and the body's markup. */
    public static String document(String title, String body) {
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                + "<title>" + escape(title) + "</title><style>" + STYLE + "</style></head><body>" + body
                + "</body></html>\n";
    }
}
