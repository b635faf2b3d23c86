//! Nothing to link: this unpublished package only holds the targets of the repository that need
//! heavy dependencies (the hyper proxy example, the tower and OpenTelemetry SDK tests, the
//! benches), so that the library's own demo and tests build without them.
