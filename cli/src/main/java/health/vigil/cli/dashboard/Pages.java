package health.vigil.cli.dashboard;

import static health.vigil.functions.common.html.Html.escape;

/** Small pieces the views share: links, tables. */
final class Pages {
    private Pages() {}

    /**
     * A stage's or a ramp's status in words ("gates passed", "rolled back"): its wire name as the API and the CLI
     * write it, with spaces for underscores, so a page reads as text and a reader still recognises the value.
     */
    static String words(String wireName) {
        return wireName.replace('_', ' ');
    }

    /**
     * A share of live traffic in basis points, for people: 100 is "1.00 %", 9,900 is "99.00 %", number and sign joined
     * by a no-break space as {@link health.vigil.functions.common.html.Html#percent} joins them.
     */
    static String weight(int basisPoints) {
        return String.format(java.util.Locale.ROOT, "%.2f\u00a0%%", basisPoints / 100.0);
    }

    static String link(String href, String text) {
        return "<a href=\"" + escape(href) + "\">" + escape(text) + "</a>";
    }

    /**
     * A table being written: its markup so far, which of its columns hold numbers (right-aligned) or long
     * identifiers, and each column's header text. A column's kind is said once, by its header, never by a cell's text,
     * which may begin with anything.
     */
    static final class Table {
        private final StringBuilder markup;
        /** Per column: "num", "identifier" or null, the class of its cells. */
        private final String[] kinds;
        /** Per column: its header as shown, which labels each of its cells where the table is drawn as cards. */
        private final String[] labels;

        private Table(StringBuilder markup, String[] kinds, String[] labels) {
            this.markup = markup;
            this.kinds = kinds;
            this.labels = labels;
        }
    }

    /**
     * The start of a table with a caption and column headers; a header starting with '#' is a numeric column, one
     * starting with '~' a column of long identifiers (paths, hashes) that may break anywhere to fit the page. The table
     * sits in a box that scrolls sideways when it is wider than the screen, reachable by keyboard and named by the
     * caption. Each part of the table says its role, as every cell does ({@link #row}): Safari stops reading a table as
     * one when its parts are drawn as blocks, as they are on a phone, unless they say so.
     */
    static Table table(String id, String caption, String... headers) {
        StringBuilder t = new StringBuilder("<div class=\"table-scroll\" role=\"region\" tabindex=\"0\""
                + " aria-labelledby=\"").append(escape(id)).append("-caption\"><table id=\"").append(escape(id))
                .append("\" class=\"cards\" role=\"table\" aria-labelledby=\"").append(escape(id))
                .append("-caption\"><caption id=\"").append(escape(id)).append("-caption\">").append(escape(caption))
                .append("</caption><thead role=\"rowgroup\"><tr role=\"row\">");
        String[] kinds = new String[headers.length];
        String[] labels = new String[headers.length];
        for (int i = 0; i < headers.length; i++) {
            boolean marked = headers[i].startsWith("#") || headers[i].startsWith("~");
            kinds[i] = headers[i].startsWith("#") ? "num" : headers[i].startsWith("~") ? "identifier" : null;
            labels[i] = escape(marked ? headers[i].substring(1) : headers[i]);
            t.append("<th scope=\"col\" role=\"columnheader\"").append("num".equals(kinds[i]) ? " class=\"num\"" : "")
                    .append('>').append(labels[i]).append("</th>");
        }
        return new Table(t.append("</tr></thead><tbody role=\"rowgroup\">"), kinds, labels);
    }

    /**
     * A row whose first cell heads it; cells are markup (escape text before) or numbers, shown as they are. Each cell
     * carries its column's header as {@code data-label}, which the shared style shows before the cell's value where
     * the table is drawn as cards; the header cells stay in the table for screen readers.
     */
    static void row(Table table, Object... cells) {
        StringBuilder t = table.markup;
        t.append("<tr role=\"row\">");
        for (int i = 0; i < cells.length; i++) {
            String label = i < table.labels.length ? " data-label=\"" + table.labels[i] + "\"" : "";
            if (i == 0) {
                t.append("<th scope=\"row\" role=\"rowheader\"").append(label).append('>').append(cells[i])
                        .append("</th>");
            } else {
                String kind = i < table.kinds.length ? table.kinds[i] : null;
                t.append("<td role=\"cell\"").append(label).append(kind == null ? "" : " class=\"" + kind + "\"")
                        .append('>').append(cells[i]).append("</td>");
            }
        }
        t.append("</tr>");
    }

    static String end(Table table) {
        return table.markup.append("</tbody></table></div>").toString();
    }
}
