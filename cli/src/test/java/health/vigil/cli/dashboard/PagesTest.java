package health.vigil.cli.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PagesTest {

    @Test
    void aCellShowsItsTextAsItIsAndItsColumnsHeaderSaysWhetherItIsANumber() {
        // A gate's note lists the package's libraries, and a library's name may begin with '#'.
        Pages.Table table = Pages.table("gate-checks", "Every check", "Check", "#Value", "Note");
        Pages.row(table, "library_versions", "1.0000", "#0-internal-lib, xgboost4j");

        assertThat(Pages.end(table)).contains("<th scope=\"col\" class=\"num\">Value</th><th scope=\"col\">Note</th>")
                .contains("<th scope=\"row\" data-label=\"Check\">library_versions</th>"
                        + "<td data-label=\"Value\" class=\"num\">1.0000</td><td data-label=\"Note\">#0-internal-lib, xgboost4j</td>");
    }

    @Test
    void aShareOfTrafficKeepsItsNumberAndPercentSignTogether() {
        assertThat(Pages.weight(2_000)).isEqualTo("20.00\u00a0%");
        assertThat(Pages.weight(1)).isEqualTo("0.01\u00a0%");
    }
}
