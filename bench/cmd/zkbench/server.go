package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/kazoo-go/kazoo/bench/internal/goclients"
	"github.com/kazoo-go/kazoo/bench/internal/workload"
	"github.com/kazoo-go/kazoo/internal/rawclient"
	"github.com/kazoo-go/kazoo/proto"
	"github.com/kazoo-go/kazoo/zktest"
)

// The nodes every client works on.
const (
	rootPath   = "/bench"
	dataPath   = "/bench/data" // dataSize bytes, read by seqget and read
	seqPrefix  = "/bench/seq/n-"
	watchRoot  = "/bench/w"
	dataSize   = 100
	setupBatch = 1000 // creates in flight while setting up
)

// startServer starts a ZooKeeper server through zktest's entry point for
// programs, with the JVM flags given (the harness trims the JIT for quick
// test starts; a benchmark wants it whole). Close it when done.
func startServer(jvmFlags string) (*zktest.Server, error) {
	return zktest.Start(zktest.WithJVMFlag(strings.Fields(jvmFlags)...))
}

// setupData creates the nodes of every workload (or resets them on a server
// given with -addr).
func setupData(addr string, watches int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := rawclient.Dial(ctx, addr, 30*time.Second)
	if err != nil {
		return err
	}
	defer c.CloseSession()
	data := make([]byte, dataSize)
	for i := range data {
		data[i] = 'a' + byte(i%26)
	}
	for _, p := range []string{rootPath, dataPath, strings.TrimSuffix(seqPrefix, "/n-"), watchRoot} {
		if _, err := c.Create(p, nil, proto.FlagPersistent); err != nil && !rawclient.IsCode(err, proto.CodeNodeExists) {
			return fmt.Errorf("create %s: %w", p, err)
		}
	}
	if _, err := c.Call(proto.OpSetData, &proto.SetDataRequest{Path: dataPath, Data: data, Version: -1}, nil); err != nil {
		return fmt.Errorf("set %s: %w", dataPath, err)
	}
	// The watched nodes, created pipelined.
	for start := 0; start < watches; start += setupBatch {
		n := min(setupBatch, watches-start)
		xids := make([]int32, n)
		for i := range n {
			req := proto.CreateRequest{Path: workload.WatchName(watchRoot, start+i), Data: []byte("x"), ACL: rawclient.OpenACL}
			if xids[i], err = c.Send(proto.OpCreate, &req); err != nil {
				return err
			}
		}
		for i := 0; i < n; {
			h, _, err := c.Recv()
			if err != nil {
				return err
			}
			if h.Xid < 0 {
				continue
			}
			if h.Xid != xids[i] {
				return fmt.Errorf("setup: reply xid %d, want %d", h.Xid, xids[i])
			}
			if h.Err != proto.CodeOK && h.Err != proto.CodeNodeExists {
				return fmt.Errorf("create %s: %v", workload.WatchName(watchRoot, start+i), h.Err)
			}
			i++
		}
	}
	return nil
}

// warmServer runs reads and writes on the server before anything is
// measured, so that its JIT has compiled the request paths: otherwise the
// first client measured would pay for it.
func warmServer(addr string, reads, writes int) error {
	r, err := goclients.Dialers[goclients.Raw](addr)
	if err != nil {
		return err
	}
	never := workload.NewBudget(0)
	start := time.Now()
	_, err1 := r.SeqGet(never, dataPath, make([]time.Duration, reads/10))
	_, err2 := r.Read(never, dataPath, reads, 256)
	_, err3 := r.CreateDelete(never, seqPrefix, writes, 64)
	err4 := r.Close()
	log.Printf("server warm-up: %d reads, %d writes in %v", reads+reads/10, writes, time.Since(start).Round(time.Millisecond))
	return errors.Join(err1, err2, err3, err4)
}
