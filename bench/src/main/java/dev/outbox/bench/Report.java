package dev.outbox.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Markdown report ({@code REPORT.md}) and its plots (PNG files next to it), of one run: an
 * earlier run's report and plots in the directory are removed when it is created. Scenarios add a
 * {@link Section} each, with text, tables and plots; the harness writes the file after every
 * scenario, so a run that fails later still leaves what was measured.
 */
public final class Report {
    public static final String FILE_NAME = "REPORT.md";

    private final Path directory;
    private final String title;
    private String preamble = "";
    private final List<Section> sections = new ArrayList<>();

    public Report(Path directory, String title) {
        this.directory = directory;
        this.title = title;
        try {
            Files.createDirectories(directory);
            // A report is one run: plots of an earlier run would be mistaken for this one's.
            try (var old = Files.newDirectoryStream(directory, p -> p.getFileName().toString().endsWith(".png")
                    || p.getFileName().toString().equals(FILE_NAME))) {
                for (Path p : old) {
                    Files.delete(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the report directory " + directory, e);
        }
    }

    public Path directory() {
        return directory;
    }

    public Path file() {
        return directory.resolve(FILE_NAME);
    }

    /** Sets the Markdown before the first section (machine, versions, how to read the figures). */
    public synchronized Report preamble(String markdown) {
        preamble = markdown;
        return this;
    }

    public synchronized Section section(String heading) {
        Section s = new Section(heading);
        sections.add(s);
        return s;
    }

    /** (Re)writes {@code REPORT.md} with everything added so far. */
    public synchronized void write() {
        StringBuilder md = new StringBuilder("# ").append(title).append("\n\n");
        if (!preamble.isBlank()) {
            md.append(preamble.strip()).append("\n\n");
        }
        for (Section s : sections) {
            md.append("## ").append(s.heading).append("\n\n");
            s.parts.forEach(p -> md.append(p.strip()).append("\n\n"));
        }
        try {
            Files.writeString(file(), md.toString().strip() + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file(), e);
        }
    }

    /** One scenario's part of the report. */
    public final class Section {
        private final String heading;
        private final List<String> parts = new ArrayList<>();

        private Section(String heading) {
            this.heading = heading;
        }

        public Section text(String markdown) {
            synchronized (Report.this) {
                parts.add(markdown);
            }
            return this;
        }

        public Section table(Table table) {
            return text(table.markdown());
        }

        /** A two-column table of settings, name → value, under a bold caption. */
        public Section settings(String caption, Map<String, ?> settings) {
            Table t = new Table("setting", "value");
            settings.forEach((k, v) -> t.row("`" + k + "`", v));
            return text("**" + caption + "**\n\n" + t.markdown());
        }

        /**
         * Renders the chart to {@code <name>.png} in the report directory and shows it here.
         *
         * @param name a file name without extension: letters, digits, '-' and '_'
         */
        public Section plot(Chart chart, String name) {
            if (!name.matches("[A-Za-z0-9_-]+")) {
                throw new IllegalArgumentException("plot name must be letters, digits, '-' or '_' (was \"" + name + "\")");
            }
            String file = name + ".png";
            chart.write(directory.resolve(file));
            return text("![" + chart.title() + "](" + file + ")");
        }
    }
}
