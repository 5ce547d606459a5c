/**
 * Spring Boot auto-configuration of the outbox (listed in
 * {@code META-INF/spring/org.springframework.boot.autoconfigure.AutoConfiguration.imports}).
 * Public because Spring instantiates it; not an API to call. Override a bean by defining one of
 * the same type.
 */
package dev.outbox.spring.autoconfigure;
