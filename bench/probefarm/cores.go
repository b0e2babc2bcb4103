package main

import "runtime"

func runtimeCores() int { return runtime.NumCPU() }
