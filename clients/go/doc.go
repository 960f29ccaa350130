// Package prism is a Go client of the Prism explanation server.
//
// Dial connects; Models, Model and Predict query the model repository;
// Explain and StreamExplain return an Explanation with the attributions
// indexed [instance][feature][output]; StreamExplain hands its callback the
// newest progress, with the events a slow callback missed merged in, never a
// backlog; ExplainChunked splits a large job into chunks spread over the
// replicas (Dial of a name with several addresses, or DialReplicas), retries
// a chunk whose replica dies, and merges the answers. NewRequest, Float32Rows
// and the method constructors (ExactShapley, KernelSHAP, ...) build requests;
// the generated messages and stubs are in package prismpb. Failed calls
// return an *Error (see AsError) carrying the gRPC code and Prism's error
// details.
package prism
