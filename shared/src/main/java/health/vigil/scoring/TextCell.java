package health.vigil.scoring;

import com.fasterxml.jackson.databind.node.TextNode;

/**
 * A value read from a text cell of a batch file (a CSV cell) that is not what its feature's type reads: the
 * validator refuses it as a cell ("the cell is not a number"), not as a JSON string a client could send without
 * quotes. Equal to the {@link TextNode} of the same text.
 */
public final class TextCell extends TextNode {
    public TextCell(String text) {
        super(text);
    }
}
