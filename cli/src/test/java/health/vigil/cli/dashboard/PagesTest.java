package health.vigil.cli.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PagesTest {

    @Test
    void aCellShowsItsTextAsItIsAndItsColumnsHeaderSaysWhetherItIsANumber() {
        // A gate's note lists the package's libraries, and a library's name may begin with '#'.
        Pages.Table table = Pages.table("gate-checks", "Every check", "Check", "#Value", "Note");
        Pages.row(table, "library_versions", "1.0000", "#0-internal-lib, xgboost4j");

        assertThat(Pages.end(table))
                .contains("<th scope=\"col\" role=\"columnheader\" class=\"num\">Value</th>"
                        + "<th scope=\"col\" role=\"columnheader\">Note</th>")
                .contains("<th scope=\"row\" role=\"rowheader\" data-label=\"Check\">library_versions</th>"
                        + "<td role=\"cell\" data-label=\"Value\" class=\"num\">1.0000</td>"
                        + "<td role=\"cell\" data-label=\"Note\">#0-internal-lib, xgboost4j</td>");
    }

    /**
     * On a phone a table's parts are drawn as blocks, and Safari then no longer reads them as a table: each part says
     * its role itself, so a screen reader still announces a table, its rows and each cell's column.
     */
    @Test
    void everyPartOfATableSaysItsRoleSoAScreenReaderKeepsTheTableWhenItIsDrawnAsCards() {
        Pages.Table table = Pages.table("versions", "Versions of readmission", "Version", "Stage", "#Rows");
        Pages.row(table, "version 1", "production", 5000);
        Pages.row(table, "version 2", "canary", 4000);
        String html = Pages.end(table);

        assertThat(html).contains("<table id=\"versions\" class=\"cards\" role=\"table\""
                        + " aria-labelledby=\"versions-caption\"><caption id=\"versions-caption\">")
                .contains("<thead role=\"rowgroup\"><tr role=\"row\">"
                        + "<th scope=\"col\" role=\"columnheader\">Version</th>")
                .contains("<tbody role=\"rowgroup\"><tr role=\"row\"><th scope=\"row\" role=\"rowheader\"");
        // No part of the table is left to its tag alone: the header row and both rows, every header and every cell.
        assertThat(count(html, "<tr")).isEqualTo(3).isEqualTo(count(html, "<tr role=\"row\">"));
        assertThat(count(html, "<th scope=\"col\" role=\"columnheader\"")).isEqualTo(3);
        assertThat(count(html, "<th ")).isEqualTo(5);
        assertThat(count(html, "<th scope=\"row\" role=\"rowheader\"")).isEqualTo(2);
        assertThat(count(html, "<td")).isEqualTo(4).isEqualTo(count(html, "<td role=\"cell\""));
        assertThat(count(html, "<thead")).isEqualTo(count(html, "<thead role=\"rowgroup\">"));
        assertThat(count(html, "<tbody")).isEqualTo(count(html, "<tbody role=\"rowgroup\">"));
    }

    private static int count(String html, String part) {
        return html.split(java.util.regex.Pattern.quote(part), -1).length - 1;
    }

    @Test
    void aShareOfTrafficKeepsItsNumberAndPercentSignTogether() {
        assertThat(Pages.weight(2_000)).isEqualTo("20.00\u00a0%");
        assertThat(Pages.weight(1)).isEqualTo("0.01\u00a0%");
    }
}
