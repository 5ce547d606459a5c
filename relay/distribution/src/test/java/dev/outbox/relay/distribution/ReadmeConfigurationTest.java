package dev.outbox.relay.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.RelayConfig;
import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.sidecar.SidecarConfig;
import dev.outbox.relay.spi.TransportFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's configuration tables are the declared settings, written by
 * {@link ConfigModel#markdownTable()}: one table per component between
 * {@code <!-- config:NAME -->} and {@code <!-- /config:NAME -->}. To rewrite them after changing a
 * declaration: {@code mvn -pl relay/distribution -am test -Dtest=ReadmeConfigurationTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Dreadme.update=true}.
 */
class ReadmeConfigurationTest {
    static final Path README = Path.of("..", "..", "README.md");
    private static final Pattern BLOCK = Pattern.compile("(<!-- config:([a-z-]+) -->\\n)(.*?)(<!-- /config:\\2 -->)",
            Pattern.DOTALL);

    @Test
    void readmeTablesAreTheDeclaredSettingsOfEveryComponent() throws IOException {
        String readme = Files.readString(README);
        List<ConfigModel> models = models();
        String expected = rewrite(readme, models);
        if (Boolean.getBoolean("readme.update")) {
            Files.writeString(README, expected);
            readme = expected;
        }
        for (ConfigModel model : models) {
            assertThat(readme).as("README.md has a table for %s", model.name())
                    .contains("<!-- config:" + model.name() + " -->");
        }
        assertThat(readme).as("README.md's configuration tables are the declarations; rewrite them with"
                + " -Dreadme.update=true (see this test's Javadoc)").isEqualTo(expected);
    }

    /** The sidecar's, the engine's and every installed transport's settings (the log transport has none). */
    static List<ConfigModel> models() {
        List<ConfigModel> models = new ArrayList<>(List.of(SidecarConfig.MODEL, RelayConfig.MODEL));
        ServiceLoader.load(TransportFactory.class).stream().map(ServiceLoader.Provider::get)
                .map(TransportFactory::config).filter(m -> !m.settings().isEmpty()).forEach(models::add);
        return models;
    }

    private static String rewrite(String readme, List<ConfigModel> models) {
        Matcher m = BLOCK.matcher(readme);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(2);
            String table = models.stream().filter(model -> model.name().equals(name)).findFirst()
                    .map(ConfigModel::markdownTable).orElse("(no component named " + name + ")\n");
            m.appendReplacement(out, Matcher.quoteReplacement(m.group(1) + table + m.group(4)));
        }
        m.appendTail(out);
        return out.toString();
    }
}
