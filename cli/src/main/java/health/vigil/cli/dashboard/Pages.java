package health.vigil.cli.dashboard;

import static health.vigil.functions.common.html.Html.escape;

/** Small pieces the views share: links, tables. */
final class Pages {
    private Pages() {}

    /** A share of live traffic in basis points, for people: 100 is "1.00 %", 9,900 is "99.00 %". */
    static String weight(int basisPoints) {
        return String.format(java.util.Locale.ROOT, "%.2f %%", basisPoints / 100.0);
    }

    static String link(String href, String text) {
        return "<a href=\"" + escape(href) + "\">" + escape(text) + "</a>";
    }

    /**
     * A table being written: its markup so far and which of its columns hold numbers (right-aligned). Which column is
     * numeric is said once, by its header, never by a cell's text, which may begin with anything.
     */
    static final class Table {
        private final StringBuilder markup;
        private final boolean[] numeric;

        private Table(StringBuilder markup, boolean[] numeric) {
            this.markup = markup;
            this.numeric = numeric;
        }
    }

    /** The start of a table with a caption and column headers; a header starting with '#' is a numeric column. */
    static Table table(String id, String caption, String... headers) {
        StringBuilder t = new StringBuilder("<table id=\"").append(escape(id)).append("\"><caption>")
                .append(escape(caption)).append("</caption><thead><tr>");
        boolean[] numeric = new boolean[headers.length];
        for (int i = 0; i < headers.length; i++) {
            numeric[i] = headers[i].startsWith("#");
            t.append("<th scope=\"col\"").append(numeric[i] ? " class=\"num\"" : "").append('>')
                    .append(escape(numeric[i] ? headers[i].substring(1) : headers[i])).append("</th>");
        }
        return new Table(t.append("</tr></thead><tbody>"), numeric);
    }

    /** A row whose first cell heads it; cells are markup (escape text before) or numbers, shown as they are. */
    static void row(Table table, Object... cells) {
        StringBuilder t = table.markup;
        t.append("<tr>");
        for (int i = 0; i < cells.length; i++) {
            if (i == 0) {
                t.append("<th scope=\"row\">").append(cells[i]).append("</th>");
            } else {
                boolean numeric = i < table.numeric.length && table.numeric[i];
                t.append("<td").append(numeric ? " class=\"num\"" : "").append('>').append(cells[i]).append("</td>");
            }
        }
        t.append("</tr>");
    }

    static String end(Table table) {
        return table.markup.append("</tbody></table>").toString();
    }
}
