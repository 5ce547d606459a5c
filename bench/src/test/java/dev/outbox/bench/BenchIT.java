package dev.outbox.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/bench drain --quick} end to end against the real PostgreSQL: a report with sane
 * numbers and its plots are written and the scratch database is gone. Small and one round, so
 * that it stays cheap; its timings are not asserted (the machine is shared).
 */
class BenchIT {
    private static final Pattern RATE = Pattern.compile("([\\d,]+)/s \\(([\\d,]+)–([\\d,]+)\\)");
    private static final Pattern RATIO = Pattern.compile("\\*\\*(\\d+\\.\\d+) \\((\\d+\\.\\d+)–(\\d+\\.\\d+)\\)\\*\\*");
    private static final Pattern DATABASE = Pattern.compile("scratch database (outbox_bench_\\w+)");

    @TempDir
    Path reportDir;

    @Test
    void drainQuickWritesAReportWithSaneRatiosAndPlotsAndDropsItsDatabase() throws Exception {
        String jdbcUrl = System.getenv("OUTBOX_TEST_JDBC_URL");
        assertThat(jdbcUrl).as("OUTBOX_TEST_JDBC_URL: a superuser's JDBC URL of the PostgreSQL to use"
                + " (source /work/wt/testenv.sh, or see scripts/test)").isNotBlank();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        int exit = Bench.run(new String[] {"drain", "--quick"}, new PrintStream(log, true, StandardCharsets.UTF_8),
                System.getenv(), reportDir, Bench.sqlDirectory());
        String output = log.toString(StandardCharsets.UTF_8);

        assertThat(exit).as(output).isZero();
        String report = Files.readString(reportDir.resolve(Report.FILE_NAME));
        assertThat(report).contains("## drain: the relay vs one SQL statement per batch")
                .contains("load average (1, 5, 15 min) at end").doesNotContain("(running)").doesNotContain("failed");

        List<double[]> ratios = all(RATIO, report);
        assertThat(ratios).as("a ratio per backlog and retention mode, vs marking in place, vs two statements, kept vs 0").hasSize(6);
        for (double[] r : ratios) {
            assertThat(r[0]).as("a ratio of two rates").isBetween(0.001, 100.0);
            assertThat(r[1]).isLessThanOrEqualTo(r[0]);
            assertThat(r[2]).isGreaterThanOrEqualTo(r[0]);
        }
        List<double[]> rates = all(RATE, report);
        assertThat(rates).as("two rates per comparison").hasSize(12).allSatisfy(r -> assertThat(r[0]).isPositive());

        for (String plot : List.of("drain-backlog.png", "drain-ratio.png")) {
            assertThat(report).contains("](" + plot + ")");
            BufferedImage image = ImageIO.read(reportDir.resolve(plot).toFile());
            assertThat(image).as(plot).isNotNull();
            assertThat(image.getWidth()).isGreaterThan(400);
            assertThat(image.getHeight()).isGreaterThan(300);
        }

        Matcher db = DATABASE.matcher(output);
        assertThat(db.find()).as(output).isTrue();
        try (Connection c = DriverManager.getConnection(jdbcUrl); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT count(*) FROM pg_database WHERE datname = '" + db.group(1) + "'")) {
            r.next();
            assertThat(r.getInt(1)).as("scratch database " + db.group(1) + " dropped").isZero();
        }
    }

    private static List<double[]> all(Pattern p, String text) {
        List<double[]> found = new ArrayList<>();
        Matcher m = p.matcher(text);
        while (m.find()) {
            found.add(new double[] {number(m.group(1)), number(m.group(2)), number(m.group(3))});
        }
        return found;
    }

    private static double number(String s) {
        return Double.parseDouble(s.replace(",", ""));
    }
}
