package dev.outbox.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A Markdown table for the report: a header row, then rows of cells (each turned into text). */
public final class Table {
    private final List<String> headers;
    private final List<List<String>> rows = new ArrayList<>();

    public Table(String... headers) {
        if (headers.length == 0) {
            throw new IllegalArgumentException("a table needs at least one column");
        }
        this.headers = List.of(headers);
    }

    /** @throws IllegalArgumentException if the row has another number of cells than the table has columns */
    public Table row(Object... cells) {
        if (cells.length != headers.size()) {
            throw new IllegalArgumentException("a row of " + headers.size() + " cells (was " + Arrays.toString(cells) + ")");
        }
        rows.add(Arrays.stream(cells).map(c -> String.valueOf(c).replace("|", "\\|").replace("\n", " ")).toList());
        return this;
    }

    public int size() {
        return rows.size();
    }

    public String markdown() {
        StringBuilder t = new StringBuilder("| ").append(String.join(" | ", headers)).append(" |\n|");
        headers.forEach(h -> t.append("---|"));
        t.append('\n');
        for (List<String> row : rows) {
            t.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        return t.toString();
    }
}
