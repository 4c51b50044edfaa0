// Package clients holds the benchmark workers written in other languages,
// embedded so that the zkbench binary can build and run them from anywhere:
// a C program for the ZooKeeper C client (libzookeeper_mt), a Java program
// for the Java client, and a Python script for kazoo. Each speaks the
// worker protocol described in package workload.
package clients

import _ "embed"

// CSource is c/zkbench.c, the C client's worker.
//
//go:embed c/zkbench.c
var CSource []byte

// JavaSource is java/ZkBench.java, the Java client's worker.
//
//go:embed java/ZkBench.java
var JavaSource []byte

// PythonSource is python/zkbench.py, kazoo's worker.
//
//go:embed python/zkbench.py
var PythonSource []byte
