package dev.outbox.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.testing.TestDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every Java snippet of README.md is a tagged region ({@code // tag::name[]} … {@code // end::name[]})
 * of compiled and tested code somewhere in the project, shown verbatim, or a whole file of the
 * README's Spring Boot walk-through (a block after {@code <!-- file: PATH -->}), which
 * {@code .ci/check-fresh-project.sh} writes into a fresh project, builds and runs.
 */
class ReadmeSnippetsTest {
    private static final Pattern TAGGED = Pattern.compile(
            "// tag::(\\w+)\\[]\\n(.*?)\\n\\s*// end::\\1\\[]", Pattern.DOTALL);
    private static final Pattern README_JAVA = Pattern.compile("(<!-- file: \\S+ -->\\n)?```java\\n(.*?)```",
            Pattern.DOTALL);

    @Test
    void readmeShowsTheTaggedExamplesVerbatimAndNoOtherJava() throws Exception {
        Path root = TestDatabase.sqlDirectory().getParent();
        String readme = Files.readString(root.resolve("README.md"));
        List<String> snippets = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            files.filter(f -> f.toString().endsWith(".java") && f.toString().contains("/src/"))
                    .forEach(f -> {
                        Matcher m = TAGGED.matcher(read(f));
                        while (m.find()) {
                            String snippet = m.group(2).stripIndent();
                            assertThat(readme).as("README.md shows snippet '%s' of %s", m.group(1), f).contains(snippet);
                            snippets.add(snippet);
                        }
                    });
        }
        Matcher java = README_JAVA.matcher(readme);
        while (java.find()) {
            if (java.group(1) != null) {
                continue; // a file of the fresh project .ci/check-fresh-project.sh builds
            }
            String block = java.group(2).strip();
            assertThat(snippets).as("README java block comes from tagged, compiled code:%n%s", block)
                    .anyMatch(snippet -> snippet.strip().equals(block));
        }
        assertThat(snippets).hasSizeGreaterThanOrEqualTo(3);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
