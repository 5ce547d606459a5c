package dev.outbox.bench;

import java.nio.file.Path;

/**
 * A plot of the report, drawn with the JDK's Java2D and written as PNG ({@link BarChart},
 * {@link LineChart}); no plotting library.
 */
public interface Chart {

    String title();

    /** Renders the chart to a PNG file. */
    void write(Path png);
}
