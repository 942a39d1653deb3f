package health.vigil.cli.dashboard;

import static health.vigil.functions.common.html.Html.escape;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Small pieces the views share: links, times, tables. */
final class Pages {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
            .withZone(ZoneOffset.UTC);

    private Pages() {}

    /** A share of live traffic in basis points, for people: 100 is "1.00 %", 9,900 is "99.00 %". */
    static String weight(int basisPoints) {
        return String.format(java.util.Locale.ROOT, "%.2f %%", basisPoints / 100.0);
    }

    static String link(String href, String text) {
        return "<a href=\"" + escape(href) + "\">" + escape(text) + "</a>";
    }

    static String time(Instant t) {
        return t == null ? "\u2013" : "<time datetime=\"" + t + "\">" + TIME.format(t) + "</time>";
    }

    /** The start of a table with a caption and column headers; a header starting with '#' is a numeric column. */
    static StringBuilder table(String id, String caption, String... headers) {
        StringBuilder t = new StringBuilder("<table id=\"").append(escape(id)).append("\"><caption>")
                .append(escape(caption)).append("</caption><thead><tr>");
        for (String h : headers) {
            boolean numeric = h.startsWith("#");
            t.append("<th scope=\"col\"").append(numeric ? " class=\"num\"" : "").append('>')
                    .append(escape(numeric ? h.substring(1) : h)).append("</th>");
        }
        return t.append("</tr></thead><tbody>");
    }

    /** A row whose first cell heads it; cells are markup (escape text before). */
    static void row(StringBuilder table, String... cells) {
        table.append("<tr>");
        for (int i = 0; i < cells.length; i++) {
            String cell = cells[i];
            boolean numeric = cell.startsWith("#");
            String content = numeric ? cell.substring(1) : cell;
            if (i == 0) {
                table.append("<th scope=\"row\">").append(content).append("</th>");
            } else {
                table.append("<td").append(numeric ? " class=\"num\"" : "").append('>').append(content).append("</td>");
            }
        }
        table.append("</tr>");
    }

    static String end(StringBuilder table) {
        return table.append("</tbody></table>").toString();
    }
}
