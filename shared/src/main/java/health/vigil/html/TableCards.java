package health.vigil.html;

/**
 * How every page Vigil draws (the dashboard, the clinician's explanation, the model card) lays out a table of class
 * {@code cards} on a narrow screen, a phone on a ward, so that no column hides sideways: one card per row, each cell
 * after its column's header (its {@code data-label}, not read a second time by a screen reader), the header row kept
 * for screen readers but hidden from sight, long values broken anywhere. Such a table's parts say their ARIA roles in
 * the markup, since Safari stops reading a table drawn as blocks as a table.
 */
public final class TableCards {
    /** The screens the rules are for: narrower than 40rem (640 px). */
    public static final String NARROW = "(max-width:40rem)";

    /** The rules, for an {@code @media} block on {@link #NARROW}; one line, a space between rules. */
    public static final String RULES = "table.cards,table.cards caption,table.cards tbody,table.cards tr{display:block}"
            + " table.cards thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);"
            + "white-space:nowrap}"
            + " table.cards tr{border:1px solid #8a8a8a;margin:0 0 .6rem}"
            + " table.cards th,table.cards td{display:flow-root;border:0;text-align:left;min-width:0;"
            + "overflow-wrap:anywhere}"
            + " table.cards [data-label]::before{content:attr(data-label);content:attr(data-label) / \"\";float:left;"
            + "width:40%;margin-right:.6rem;font-weight:600;overflow-wrap:anywhere;white-space:normal}";

    private TableCards() {}
}
