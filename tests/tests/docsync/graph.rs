//! `DependencyRepository`: edges, direct dependencies and dependents, and the transitive closure
//! in both directions: cycles, depth limits, shortest depths and paths, checked against a
//! breadth-first search on a random graph of 10,000 documents and 50,000 edges.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use repository::DatabaseConnection;
use repository::docsync::{
    ClosureNode, DependencyRepository, DependencyStore, Direction, DocumentRepository,
    DocumentType, MAX_CLOSURE_DEPTH, NewDependency, NewDocument,
};
use repository::{Error, Page};
use tests::{TestDb, db_tests, now};

use super::{doc, documents, path};

fn graph(db: &TestDb) -> DependencyStore<DatabaseConnection> {
    DependencyStore::new(db.conn.clone())
}

/// Documents `n0 … n{count-1}`; returns their ids in order.
async fn nodes(db: &TestDb, count: usize) -> Vec<i32> {
    let at = now();
    let docs: Vec<NewDocument> = (0..count)
        .map(|i| NewDocument::new(path(&format!("n{i}")), DocumentType::Code, at, 1))
        .collect();
    let repo = documents(db);
    repo.save_many(docs).await.expect("save nodes");
    let mut ids = HashMap::new();
    let mut page = 0;
    loop {
        let rows = repo.list(Page::nth(page, 1000)).await.expect("list");
        if rows.is_empty() {
            break;
        }
        for row in rows {
            ids.insert(row.path, row.id);
        }
        page += 1;
    }
    (0..count).map(|i| ids[&format!("n{i}")]).collect()
}

/// Breadth-first search from `start` over `adjacency`, up to `max_depth`: each node with its
/// shortest depth (the start excluded).
fn bfs(adjacency: &HashMap<i32, Vec<i32>>, start: i32, max_depth: u32) -> BTreeMap<i32, u32> {
    let mut depth = HashMap::from([(start, 0_u32)]);
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        let d = depth[&node];
        if d == max_depth {
            continue;
        }
        for next in adjacency.get(&node).into_iter().flatten() {
            if !depth.contains_key(next) {
                depth.insert(*next, d + 1);
                queue.push_back(*next);
            }
        }
    }
    depth.into_iter().filter(|(n, _)| *n != start).collect()
}

/// `closure` is exactly `expected` (node → shortest depth), and each path is a real path of
/// that length from `start` over `edges`.
fn assert_closure(
    closure: &[ClosureNode],
    expected: &BTreeMap<i32, u32>,
    start: i32,
    edges: &HashSet<(i32, i32)>,
) {
    let got: BTreeMap<i32, u32> = closure.iter().map(|n| (n.document_id, n.depth)).collect();
    assert_eq!(got.len(), closure.len(), "each node once");
    assert_eq!(&got, expected, "nodes and shortest depths");
    for node in closure {
        assert_eq!(node.path.len(), node.depth as usize + 1, "{node:?}");
        assert_eq!(node.path.first(), Some(&start), "{node:?}");
        assert_eq!(node.path.last(), Some(&node.document_id), "{node:?}");
        for step in node.path.windows(2) {
            assert!(
                edges.contains(&(step[0], step[1])),
                "{node:?}: no edge {step:?}"
            );
        }
    }
    let order: Vec<(u32, i32)> = closure.iter().map(|n| (n.depth, n.document_id)).collect();
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(order, sorted, "by depth, then id");
}

async fn edges_and_direct_neighbours(db: &TestDb) {
    let a = doc(db, "a.md").await.id;
    let b = doc(db, "b.md").await.id;
    let c = doc(db, "c.md").await.id;
    let repo = graph(db);
    let edge = repo
        .add(
            NewDependency::new(a, b, "references")
                .with_topic("caching")
                .with_scope("module"),
        )
        .await
        .expect("add");
    assert_eq!((edge.source_id, edge.target_id), (a, b));
    assert_eq!(edge.relation_type.as_deref(), Some("references"));
    assert_eq!(edge.topic.as_deref(), Some("caching"));
    assert_eq!(edge.scope.as_deref(), Some("module"));
    repo.add(NewDependency::new(a, c, "implements"))
        .await
        .expect("add");
    repo.add(NewDependency::new(c, b, "references"))
        .await
        .expect("add");
    assert!(matches!(
        repo.add(NewDependency::new(a, b, "again")).await,
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        repo.add(NewDependency::new(a, 999_999, "dangling")).await,
        Err(Error::Conflict(_))
    ));
    let err = repo
        .add(NewDependency::new(a, a, "self"))
        .await
        .expect_err("self edge");
    assert!(
        matches!(&err, Error::Validation { field, .. } if field == "target_id"),
        "{err}"
    );
    let deps: Vec<i32> = repo
        .dependencies(a)
        .await
        .expect("deps")
        .iter()
        .map(|e| e.target_id)
        .collect();
    assert_eq!(deps, vec![b, c]);
    let dependents: Vec<i32> = repo
        .dependents(b)
        .await
        .expect("dependents")
        .iter()
        .map(|e| e.source_id)
        .collect();
    assert_eq!(dependents, vec![a, c]);
    repo.remove(a, b).await.expect("remove");
    assert!(matches!(
        repo.remove(a, b).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(repo.count().await.expect("count"), 2);
    // Deleting a document takes its edges along.
    documents(db).delete(&path("c.md")).await.expect("delete c");
    assert_eq!(repo.count().await.expect("count"), 0);
    // add_many skips edges that exist and repeats within the batch.
    let added = repo
        .add_many(vec![
            NewDependency::new(a, b, "x"),
            NewDependency::new(a, b, "x"),
            NewDependency::new(b, a, "y"),
        ])
        .await
        .expect("add many");
    assert_eq!(added, 2);
    assert_eq!(
        repo.add_many(vec![NewDependency::new(a, b, "x")])
            .await
            .expect("again"),
        0
    );
}

async fn closure_handles_cycles_and_depth_limits(db: &TestDb) {
    // 0 → 1 → 2 → 3 → 0 (a cycle), 1 → 4, 4 → 3 (a second, equally short way to 3 is not
    // shorter: 0→1→2→3 and 0→1→4→3 are both 3 edges), 3 → 5.
    let ids = nodes(db, 7).await;
    let pairs = [(0, 1), (1, 2), (2, 3), (3, 0), (1, 4), (4, 3), (3, 5)];
    let repo = graph(db);
    repo.add_many(
        pairs
            .iter()
            .map(|(s, t)| NewDependency::new(ids[*s], ids[*t], "references"))
            .collect(),
    )
    .await
    .expect("edges");
    let edges: HashSet<(i32, i32)> = pairs.iter().map(|(s, t)| (ids[*s], ids[*t])).collect();
    let reversed: HashSet<(i32, i32)> = edges.iter().map(|(s, t)| (*t, *s)).collect();
    let mut forward: HashMap<i32, Vec<i32>> = HashMap::new();
    let mut backward: HashMap<i32, Vec<i32>> = HashMap::new();
    for (s, t) in &edges {
        forward.entry(*s).or_default().push(*t);
        backward.entry(*t).or_default().push(*s);
    }

    let all = repo
        .closure(ids[0], Direction::Dependencies, 10)
        .await
        .expect("closure");
    let depths: Vec<(i32, u32)> = all.iter().map(|n| (n.document_id, n.depth)).collect();
    assert_eq!(
        depths,
        vec![
            (ids[1], 1),
            (ids[2], 2),
            (ids[4], 2),
            (ids[3], 3),
            (ids[5], 4)
        ],
        "the cycle back to the start is not followed, each node once"
    );
    assert_closure(&all, &bfs(&forward, ids[0], 10), ids[0], &edges);
    for limit in 1..=4 {
        let limited = repo
            .closure(ids[0], Direction::Dependencies, limit)
            .await
            .expect("limited");
        assert_closure(&limited, &bfs(&forward, ids[0], limit), ids[0], &edges);
        assert!(limited.iter().all(|n| n.depth <= limit));
    }
    // Reverse: what is affected if 3 changes (everything on the cycle, and 4).
    let affected = repo
        .closure(ids[3], Direction::Dependents, 10)
        .await
        .expect("dependents");
    assert_closure(&affected, &bfs(&backward, ids[3], 10), ids[3], &reversed);
    let affected_ids: HashSet<i32> = affected.iter().map(|n| n.document_id).collect();
    assert_eq!(
        affected_ids,
        HashSet::from([ids[0], ids[1], ids[2], ids[4]])
    );
    // A leaf and an isolated node have empty closures.
    assert!(
        repo.closure(ids[5], Direction::Dependencies, 5)
            .await
            .expect("leaf")
            .is_empty()
    );
    assert!(
        repo.closure(ids[6], Direction::Dependents, 5)
            .await
            .expect("isolated")
            .is_empty()
    );
    // A depth of 0 or beyond the maximum is refused before SQL.
    for bad in [0, MAX_CLOSURE_DEPTH + 1] {
        let err = repo
            .closure(ids[0], Direction::Dependencies, bad)
            .await
            .expect_err("bad depth");
        assert!(
            matches!(&err, Error::Validation { field, .. } if field == "max_depth"),
            "{err}"
        );
    }
    // A long chain: depth limits cut it exactly.
    let chain = nodes_more(db, 60).await;
    repo.add_many(
        chain
            .windows(2)
            .map(|w| NewDependency::new(w[0], w[1], "next"))
            .collect(),
    )
    .await
    .expect("chain");
    let deep = repo
        .closure(chain[0], Direction::Dependencies, 100)
        .await
        .expect("deep");
    assert_eq!(deep.len(), 59);
    assert_eq!(deep.last().map(|n| n.path.clone()), Some(chain.clone()));
    assert_eq!(
        repo.closure(chain[0], Direction::Dependencies, 25)
            .await
            .expect("cut")
            .len(),
        25
    );
}

/// `count` more documents named `c{i}`; their ids in order.
async fn nodes_more(db: &TestDb, count: usize) -> Vec<i32> {
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        ids.push(doc(db, &format!("c{i}")).await.id);
    }
    ids
}

async fn closure_matches_bfs_on_a_large_random_graph(db: &TestDb) {
    const NODES: usize = 10_000;
    const EDGES: usize = 50_000;
    let ids = nodes(db, NODES).await;
    let mut rng = StdRng::seed_from_u64(0x00D0_C5C0);
    let mut edges = HashSet::with_capacity(EDGES);
    while edges.len() < EDGES {
        let s = ids[rng.random_range(0..NODES)];
        let t = ids[rng.random_range(0..NODES)];
        if s != t {
            edges.insert((s, t));
        }
    }
    let repo = graph(db);
    let added = repo
        .add_many(
            edges
                .iter()
                .map(|(s, t)| NewDependency::new(*s, *t, "references"))
                .collect(),
        )
        .await
        .expect("edges");
    assert_eq!(added, EDGES as u64);
    let mut forward: HashMap<i32, Vec<i32>> = HashMap::new();
    let mut backward: HashMap<i32, Vec<i32>> = HashMap::new();
    for (s, t) in &edges {
        forward.entry(*s).or_default().push(*t);
        backward.entry(*t).or_default().push(*s);
    }
    let reversed: HashSet<(i32, i32)> = edges.iter().map(|(s, t)| (*t, *s)).collect();
    for (start, depth) in [(ids[0], 3), (ids[1234], 6), (ids[NODES - 1], 12)] {
        let down = repo
            .closure(start, Direction::Dependencies, depth)
            .await
            .expect("dependencies");
        assert_closure(&down, &bfs(&forward, start, depth), start, &edges);
        let up = repo
            .closure(start, Direction::Dependents, depth)
            .await
            .expect("dependents");
        assert_closure(&up, &bfs(&backward, start, depth), start, &reversed);
        if depth == 12 {
            // Five edges per node on average: nearly everything is reachable.
            assert!(down.len() > NODES / 2, "{}", down.len());
        }
    }
}

db_tests!(
    edges_and_direct_neighbours,
    closure_handles_cycles_and_depth_limits,
    closure_matches_bfs_on_a_large_random_graph
);
