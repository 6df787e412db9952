//! Sentinel failover: one master, one replica, three Sentinels. The master is killed (SIGKILL) while
//! four users place orders; the Sentinels promote the replica and the service carries on by itself,
//! without a restart. Replication is asynchronous, so an order acknowledged by the old master in the
//! instant before it died may not have reached the replica: the test counts those (it prints them) and
//! checks that whatever survived is a whole history and that book-feed clients end on the REST book.
//! With `REDIS_WAIT_REPLICAS=1` none may be lost, and a write the replica does not confirm in time is
//! not acknowledged.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use crate::durability::{check_history, Load};
use crate::helpers::*;

#[tokio::test]
async fn the_service_carries_on_after_the_sentinels_promote_the_replica() {
    failover_under_load(0).await;
}

/// With `REDIS_WAIT_REPLICAS=1` an order is acknowledged only once the replica has it, so the promoted
/// replica has every acknowledged order.
#[tokio::test]
async fn waiting_for_the_replica_a_failover_loses_no_acknowledged_order() {
    let lost = failover_under_load(1).await;
    assert_eq!(lost, 0);
}

#[tokio::test]
async fn a_write_the_replica_does_not_confirm_in_time_is_not_acknowledged() {
    let group = RedisSentinels::start().expect("master, replica and three sentinels start");
    let app = spawn_app_at(group.target(), |c| {
        c.engine.replicas_to_wait = 1;
        c.engine.replica_wait_ms = 300;
    })
    .await;
    let alice = app.user("alice").await;
    assert_eq!(app.limit(&alice, "buy", "1", "100").await.status(), 201);

    let replica = group.replica.pid().unwrap().to_string();
    assert!(std::process::Command::new("kill").args(["-STOP", &replica]).status().unwrap().success());
    let started = Instant::now();
    let (status, body) = status_json(app.limit(&alice, "buy", "1", "101").await).await;
    let took = started.elapsed();
    let (cancel_status, _) = status_json(app.delete("/api/v1/orders/?symbol=BTC-USD", Some(&alice)).await).await;
    assert!(std::process::Command::new("kill").args(["-CONT", &replica]).status().unwrap().success());
    assert_eq!(status, 503, "{body}");
    assert_error(&body, "unavailable");
    assert!(body["detail"].as_str().unwrap().contains("not yet confirmed"), "{body}");
    assert!(took >= Duration::from_millis(300) && took < Duration::from_secs(2), "waited {took:?}");
    assert_eq!(cancel_status, 503, "a cancel-all is not acknowledged either");

    // The master did it: the order is there (and cancelled by the unacknowledged cancel-all), and with
    // the replica back, writes are acknowledged again.
    let (_, orders) = status_json(app.get("/api/v1/orders/?status=all", Some(&alice)).await).await;
    assert_eq!(orders.as_array().unwrap().len(), 2);
    assert!(orders.as_array().unwrap().iter().all(|o| o["status"] == "cancelled"), "{orders}");
    assert_eq!(app.limit(&alice, "buy", "1", "102").await.status(), 201);
}

/// Kills the master under four writers; checks the promotion, the service, the history and the feed;
/// returns how many acknowledged orders were lost.
async fn failover_under_load(replicas_to_wait: u32) -> usize {
    let mut group = RedisSentinels::start().expect("master, replica and three sentinels start");
    let (old_master, replica) = (group.master.port(), group.replica.port());
    let app = spawn_app_at(group.target(), |c| c.engine.replicas_to_wait = replicas_to_wait).await;
    let writers = Writers::start(&app).await;
    let before_kill = writers.before_kill;
    group.master.kill();
    let killed_at = Instant::now();
    while group.current_master_port().ok() != Some(replica) {
        assert!(killed_at.elapsed() < Duration::from_secs(30), "the Sentinels promote the replica");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let promoted_after = killed_at.elapsed();
    // The old master comes back (empty: it kept nothing) and the Sentinels make it the new master's
    // replica; only after the promotion, or it would come back as an empty master.
    group.master.restart().expect("the old master starts again");
    if replicas_to_wait > 0 {
        // Writes are acknowledged again only once the Sentinels have made the old master the new
        // master's replica and it has synced (18-19 s after the kill here). One CI run saw the writers
        // wait more than 180 s: should that come back, say what the servers and Sentinels saw.
        wait_for_a_replica(&group, replica, old_master, Duration::from_secs(150)).await;
    }
    let done = writers.finish(&app).await;
    assert_ne!(replica, old_master);
    let (status, _) = status_json(app.get("/api/v1/health", None).await).await;
    assert_eq!(status, 200);
    eprintln!(
        "sentinel failover (waiting for {replicas_to_wait} replica(s)): {} orders acknowledged ({before_kill} before the kill), {} attempts refused \
         during the failover, replica promoted {promoted_after:?} and writers done {:?} after the kill; \
         {} acknowledged orders lost",
        done.acknowledged,
        done.refused,
        done.at - killed_at,
        done.lost
    );
    done.lost
}

/// Waits until the master on `master` has a replica online; past `within`, fails with the replication
/// state of both servers and each Sentinel's view of the master.
async fn wait_for_a_replica(group: &RedisSentinels, master: u16, old_master: u16, within: Duration) {
    let cli = |port: u16, args: &[&str]| testkit::deployments::cli(port, args).unwrap_or_else(|e| e.to_string());
    let started = Instant::now();
    while started.elapsed() < within {
        if cli(master, &["INFO", "replication"]).contains("state=online") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let views: Vec<String> = group
        .sentinels
        .iter()
        .map(|s| {
            cli(s.port(), &["SENTINEL", "REPLICAS", "mymaster"]) + &cli(s.port(), &["SENTINEL", "MASTER", "mymaster"])
        })
        .collect();
    panic!(
        "no replica online after {within:?}\nmaster {master}:\n{}\nold master {old_master}:\n{}\nsentinels:\n{}",
        cli(master, &["INFO", "replication"]),
        cli(old_master, &["INFO", "replication"]),
        views.join("\n---\n")
    );
}

/// Four writers placing orders (`durability::Load`) and a BTC/USD book-feed client on an app, started
/// together; `start` returns once 100 orders are acknowledged, for a failover to be staged under them.
pub struct Writers {
    tokens: Vec<String>,
    load: Load,
    feed: Socket,
    book: Book,
    /// Orders acknowledged when `start` returned.
    pub before_kill: usize,
}

/// What the writers saw of a failover.
pub struct Done {
    pub acknowledged: usize,
    pub refused: usize,
    pub lost: usize,
    /// When the writers had all their orders acknowledged.
    pub at: Instant,
}

impl Writers {
    pub async fn start(app: &TestApp) -> Writers {
        let tokens = app.users("writer", 4).await;
        let mut feed = connect(&app.ws_url("/api/v1/ws/orderbook/BTC-USD")).await;
        let mut book = (BTreeMap::new(), BTreeMap::new(), 0);
        apply(&mut book, &next_of(&mut feed, "order_book_snapshot").await);
        let load = Load::start(app, &tokens);
        while load.acknowledged() < 100 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let before_kill = load.acknowledged();
        Writers { tokens, load, feed, book, before_kill }
    }

    /// Waits for the writers and checks the failover: it hit the order flow and orders went on after
    /// it, the surviving history is whole, whatever was lost was acknowledged before the kill
    /// (afterwards there is only the new master), and the feed client ends on the REST book.
    pub async fn finish(self, app: &TestApp) -> Done {
        let (acked, refused) = self.load.finish().await;
        let at = Instant::now();
        assert!(
            acked.len() > self.before_kill && refused > 0,
            "the failover hit the order flow, and orders went on after it"
        );
        let lost = check_history(app, &self.tokens, &acked).await;
        assert!(lost <= self.before_kill, "{lost} lost");
        feed_ends_on_the_rest_book(app, self.feed, self.book).await;
        Done { acknowledged: acked.len(), refused, lost, at }
    }
}

#[tokio::test]
async fn sentinels_with_a_password_of_their_own_are_asked_with_it() {
    let group = RedisSentinels::start_with_passwords("data-secret-1", "sentinel-secret-2").unwrap();
    let app = spawn_app_at(group.target(), |_| {}).await;
    let alice = app.user("alice").await;
    assert_eq!(app.limit(&alice, "buy", "1", "100").await.status(), 201);

    let backend::config::RedisTarget::Sentinel(mut wrong) = group.target() else { unreachable!() };
    wrong.sentinel_password = Some("not-the-password".into());
    let config = backend::config::Config::local(backend::config::RedisTarget::Sentinel(wrong), "dist".into());
    let refused = backend::startup::Application::build(config).await;
    assert!(refused.is_err(), "a wrong Sentinel password is refused at start-up");
}

/// A book-feed client after a failover is never left on a wrong book: it is either resynced in place
/// onto the REST book or closed with a reason (Redis was unreachable for a while), and then a new
/// connection's snapshot is the REST book.
pub async fn feed_ends_on_the_rest_book(app: &TestApp, mut feed: Socket, mut book: Book) {
    let (_, rest) = status_json(app.get("/api/v1/orders/book/BTC-USD?depth=1000", None).await).await;
    let levels = |v: &Value| -> BTreeMap<String, String> {
        v.as_array().unwrap().iter().map(|l| (l["price"].to_string(), l["quantity"].to_string())).collect()
    };
    let rest_book = (levels(&rest["bids"]), levels(&rest["asks"]), rest["sequence"].as_u64().unwrap());
    let mut closed = None;
    while book != rest_book {
        match tokio::time::timeout(Duration::from_secs(5), feed.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => apply(&mut book, &serde_json::from_str(&t).unwrap()),
            Ok(Some(Ok(Message::Close(frame)))) => {
                closed = Some(frame.map(|f| f.reason.to_string()).unwrap_or_default());
                break;
            }
            Ok(Some(Ok(_))) => continue,
            other => panic!("the feed is neither on the REST book nor closed: {other:?}, at {}", book.2),
        }
    }
    eprintln!("the book feed was {}", if closed.is_some() { "closed with a reason" } else { "resynced in place" });
    if let Some(reason) = closed {
        assert!(reason.contains("unavailable"), "{reason}");
        let mut again = connect(&app.ws_url("/api/v1/ws/orderbook/BTC-USD")).await;
        apply(&mut book, &next_of(&mut again, "order_book_snapshot").await);
        assert_eq!(book, rest_book, "a new connection's snapshot is the REST book");
    }
}
