mod common;
use common::*;
use shiftkit_data::moons::MoonsConfig;
use shiftkit_train::DannConfig;

fn env(name: &str, d: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

#[test]
fn explore() {
    let epochs = env("EPOCHS", 100.0) as usize;
    let lr = env("LR", 1e-2);
    let n = env("N", 300.0) as usize;
    let dw = env("DW", 1.0);
    let hid = env("HID", 128.0) as usize;
    for seed in 0..3u64 {
        let pair = MoonsConfig::new()
            .with_seed(seed)
            .with_n_samples(n)
            .init()
            .unwrap();
        let mut r = vec![];
        for domain_weight in [0.0, dw] {
            let mut t = moons_trainer(
                &pair,
                DannConfig::new()
                    .with_lr(lr)
                    .with_domain_weight(domain_weight)
                    .with_discriminator_hidden(hid)
                    .with_discriminator_layers(env("LAYERS", 1.0) as usize),
                seed,
            );
            let h = t.fit(epochs).unwrap();
            let last = h.last().unwrap();
            let acc = t
                .evaluate(eval_loader(pair.target_test.clone()).as_ref(), "t")
                .unwrap()
                .accuracy;
            let sacc = t
                .evaluate(eval_loader(pair.source_test.clone()).as_ref(), "s")
                .unwrap()
                .accuracy;
            r.push(format!(
                "dw={domain_weight}: tgt {acc:.3} src {sacc:.3} disc_acc {:.2} ce {:.3} dom {:.3}",
                last.disc_acc, last.ce_loss, last.domain_loss
            ));
        }
        eprintln!("seed {seed}: {}", r.join(" | "));
    }
}
