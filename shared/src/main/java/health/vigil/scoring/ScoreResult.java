package health.vigil.scoring;

import java.util.List;

/** The scored rows of a request, in the order the request listed them. */
public record ScoreResult(List<ScoredRow> rows) {
    public ScoreResult {
        rows = List.copyOf(rows);
    }

    public ScoredRow row(int index) {
        return rows.get(index);
    }

    public int size() {
        return rows.size();
    }
}
