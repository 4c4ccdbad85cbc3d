package io.admission.server;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

/**
 * Runs an action on SIGHUP, the way daemons are told to re-read their files. Java has no public
 * API for signals; {@code sun.misc.Signal} (module jdk.unsupported, kept for exactly this) is
 * reached by reflection, because javac warns about every direct use and the build treats warnings
 * as errors.
 */
final class HangUp {
  private HangUp() {}

  /** Registers {@code action}; returns false, changing nothing, where SIGHUP cannot be handled. */
  static boolean onSignal(Runnable action) {
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handler = Class.forName("sun.misc.SignalHandler");
      Object hup = signal.getConstructor(String.class).newInstance("HUP");
      Object proxy = Proxy.newProxyInstance(HangUp.class.getClassLoader(), new Class<?>[] {handler},
          (self, method, args) -> {
            if (method.getName().equals("handle")) {
              action.run();
              return null;
            }
            return switch (method.getName()) {
              case "hashCode" -> System.identityHashCode(self);
              case "equals" -> self == args[0];
              default -> "SIGHUP handler";
            };
          });
      signal.getMethod("handle", signal, handler).invoke(null, hup, proxy);
      return true;
    } catch (ReflectiveOperationException | IllegalArgumentException e) {
      Throwable cause = e instanceof InvocationTargetException i ? i.getCause() : e;
      System.getLogger(HangUp.class.getName()).log(System.Logger.Level.WARNING,
          "SIGHUP cannot be handled here: " + cause);
      return false;
    }
  }
}
