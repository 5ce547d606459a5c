package dev.outbox.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every Java snippet of README.md is a tagged region of compiled, tested code. */
class ReadmeSnippetsTest {
    private static final Pattern TAGGED = Pattern.compile(
            "// tag::(\\w+)\\[]\\n(.*?)\\n\\s*// end::\\1\\[]", Pattern.DOTALL);

    @Test
    void readmeShowsTheTaggedExamplesVerbatim() throws Exception {
        Path root = TestDatabase.sqlDirectory().getParent();
        String readme = Files.readString(root.resolve("README.md"));
        String source = Files.readString(root.resolve(
                "outbox-core/src/test/java/dev/outbox/core/ReadmeExamplesIT.java"));
        Matcher m = TAGGED.matcher(source);
        int snippets = 0;
        while (m.find()) {
            assertThat(readme).as("README.md shows snippet '%s'", m.group(1)).contains(m.group(2).stripIndent());
            snippets++;
        }
        assertThat(snippets).isEqualTo(2);
    }
}
