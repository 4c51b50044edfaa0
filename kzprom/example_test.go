package kzprom_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/kzprom"
	"github.com/kazoo-go/kazoo/zktest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// A client whose metrics are served on /metrics: here two reads, then what
// a scrape would show of them.
func Example() {
	m := kzprom.New()
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	mux := http.NewServeMux() // served with http.ListenAndServe in a real program
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))

	ctx := context.Background()
	c, err := kazoo.Connect(ctx, zktest.ExampleServers("kzprom"), kazoo.WithHooks(m))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	_, _, _ = c.Get(ctx, "/")
	_, _, _ = c.Get(ctx, "/missing")

	families, err := reg.Gather()
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "kazoo_requests_total" {
			continue
		}
		for _, s := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["op"] == "getData" {
				fmt.Printf("kazoo_requests_total{op=%q,result=%q} %v\n", labels["op"], labels["result"], s.GetCounter().GetValue())
			}
		}
	}
	// Output:
	// kazoo_requests_total{op="getData",result="no_node"} 1
	// kazoo_requests_total{op="getData",result="ok"} 1
}
