package health.vigil.functions.common.html;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HtmlTest {

    /** WCAG 2.x relative luminance of an sRGB colour written #rrggbb. */
    private static double luminance(String hex) {
        double[] channels = new double[3];
        for (int i = 0; i < 3; i++) {
            double c = Integer.parseInt(hex.substring(1 + 2 * i, 3 + 2 * i), 16) / 255.0;
            channels[i] = c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
        }
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
    }

    private static double contrast(String a, String b) {
        double la = luminance(a);
        double lb = luminance(b);
        return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
    }

    @Test
    void proseKeepsANumberOnTheLineOfItsUnitAndEscapesTheRest() {
        assertThat(Html.prose("step 1 (20 %) failed; +3.1 points, p < 0.05 on 3 windows"))
                .isEqualTo("step 1 (20\u00a0%) failed; +3.1\u00a0points, p &lt; 0.05 on 3 windows");
    }

    @Test
    void theContrastFormulaMatchesWcagsWorkedValues() {
        assertThat(contrast("#000000", "#ffffff")).isEqualTo(21.0);
        // #767676 on white is the classic just-passing grey: 4.54:1.
        assertThat(contrast("#767676", "#ffffff")).isBetween(4.53, 4.55);
    }

    @Test
    void everyTextColourOfThePagesReachesAaContrastOnItsBackground() {
        for (String colour : new String[] {Html.INK, Html.MUTED, Html.RAISES, Html.LOWERS, "#0b4a8b"}) {
            assertThat(contrast(colour, "#ffffff")).as(colour + " on white").isGreaterThanOrEqualTo(4.5);
        }
        assertThat(contrast("#ffffff", "#13294b")).as("the header's white on navy").isGreaterThanOrEqualTo(4.5);
        // The focus outline is not text; WCAG asks 3:1 of it against what is around it.
        assertThat(contrast(Html.FOCUS, "#ffffff")).isGreaterThanOrEqualTo(3.0);
        assertThat(Html.STYLE).contains("#0b4a8b", "#13294b");
    }

    @Test
    void escapingLeavesNoMarkupAndNumbersReadAsPercentagesAndPoints() {
        assertThat(Html.escape("<b a=\"x\">'&'</b>")).isEqualTo("&lt;b a=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;");
        assertThat(Html.percent(0.3127)).isEqualTo("31.3\u00a0%");
        assertThat(Html.percent(Double.NaN)).isEqualTo("\u2013");
        assertThat(Html.points(0.091)).isEqualTo("+9.1\u00a0points");
        assertThat(Html.points(-0.0349)).isEqualTo("\u22123.5\u00a0points");
        assertThat(Html.points(0.0001)).isEqualTo("+<0.1\u00a0points");
        assertThat(Html.points(-0.0004)).isEqualTo("\u2212<0.1\u00a0points");
        assertThat(Html.points(0.0)).isEqualTo("no change");
    }

    /**
     * The box a table sits in scrolls sideways on a desktop and takes the keyboard's focus so it can be scrolled; on a
     * phone its table of cards fits and the box is a stop that does nothing. Markup's {@code tabindex} cannot be taken
     * back by a stylesheet, but a hidden element takes no focus: the box is hidden there and its table shown again.
     */
    @Test
    void onAPhoneTheBoxOfATableOfCardsIsNoKeyboardStopAndItsTableStaysShown() {
        String phone = Html.STYLE.lines().filter(l -> l.startsWith("@media (max-width:40rem){")).findFirst()
                .orElseThrow();

        // Only a box whose table is drawn as cards: the explanation's factors stay a table, whose box may scroll.
        assertThat(phone).contains(".table-scroll:has(> table.cards){visibility:hidden}",
                ".table-scroll:has(> table.cards)>*{visibility:visible}");
        assertThat(Html.STYLE).contains("\n.table-scroll{overflow-x:auto;max-width:100%}\n");
        // The explanation embedded in another page confines the rule to itself as it does every other.
        assertThat(Html.scopedStyle("section.vigil-explanation"))
                .contains("section.vigil-explanation .table-scroll:has(> table.cards){visibility:hidden}"
                        + "section.vigil-explanation .table-scroll:has(> table.cards)>*{visibility:visible}}");
    }
}
