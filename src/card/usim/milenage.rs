//! MILENAGE, the example 3GPP authentication and key generation algorithm set:
//! 3GPP TS 35.206 §4 (algorithm specification), with the conformance test data of
//! 3GPP TS 35.208 §4.
//!
//! Every function is one AES-128 encryption under the subscriber key K (the kernel
//! `E_K`, here the RustCrypto `aes` crate) wrapped in the operator variant `OPc`
//! (TS 35.206 §4.1):
//!
//! ```text
//! OPc  = OP ⊕ E_K(OP)
//! TEMP = E_K(RAND ⊕ OPc)
//! IN1  = SQN ‖ AMF ‖ SQN ‖ AMF                                  (128 bits)
//! OUT1 = E_K(TEMP ⊕ rot(IN1 ⊕ OPc, r1) ⊕ c1) ⊕ OPc
//! OUTi = E_K(rot(TEMP ⊕ OPc, ri) ⊕ ci) ⊕ OPc                    (i = 2 … 5)
//!
//! f1  = MAC-A = OUT1[0..63]     f1* = MAC-S = OUT1[64..127]
//! f5  = AK    = OUT2[0..47]     f2  = RES   = OUT2[64..127]
//! f3  = CK    = OUT3            f4  = IK    = OUT4
//! f5* = AK*   = OUT5[0..47]
//! ```
//!
//! with the default constants of TS 35.206 §4.1: r1..r5 = 64, 0, 32, 64, 96 bits and
//! c1..c5 = 0, 1, 2, 4, 8 (128-bit values, the 1 bits at the least significant end).
//! `rot(x, r)` rotates x cyclically by r bits towards the most significant bit.

use aes::cipher::{BlockEncrypt, KeyInit};
use aes::Aes128;
use serde::{Deserialize, Serialize};

/// Rotation constants r1..r5 in bits (TS 35.206 §4.1).
const R: [u32; 5] = [64, 0, 32, 64, 96];
/// Addition constants c1..c5 as 128-bit integers (TS 35.206 §4.1): c1 = 0,
/// c2 = …01, c3 = …02, c4 = …04, c5 = …08.
const C: [u128; 5] = [0, 1, 2, 4, 8];

/// A subscriber's MILENAGE keys: K and the operator variant OPc (TS 35.206 §4.1).
///
/// `Debug` does not print the keys.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milenage {
    k: [u8; 16],
    opc: [u8; 16],
}

impl std::fmt::Debug for Milenage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Milenage")
            .field("k", &"<secret>")
            .field("opc", &"<secret>")
            .finish()
    }
}

/// The outputs of f2, f3, f4 and f5 for one RAND (TS 35.206 §4.1): RES (64 bits), CK
/// and IK (128 bits each), AK (48 bits).
pub type F2345 = ([u8; 8], [u8; 16], [u8; 16], [u8; 6]);

impl Milenage {
    /// Keys from K and the operator's OP: OPc = OP ⊕ E_K(OP) (TS 35.206 §4.1; the
    /// card stores OPc, never OP, per TS 35.206 Annex 2).
    pub fn from_op(k: [u8; 16], op: [u8; 16]) -> Milenage {
        let opc = xor(encrypt(&k, op), op);
        Milenage { k, opc }
    }

    /// Keys from K and an OPc computed elsewhere.
    pub fn from_opc(k: [u8; 16], opc: [u8; 16]) -> Milenage {
        Milenage { k, opc }
    }

    /// The subscriber key K.
    pub fn k(&self) -> [u8; 16] {
        self.k
    }

    /// The operator variant OPc.
    pub fn opc(&self) -> [u8; 16] {
        self.opc
    }

    /// f1, the network authentication function: MAC-A over SQN ‖ RAND ‖ AMF
    /// (TS 35.206 §4.1, OUT1 bits 0 to 63).
    pub fn f1(&self, rand: &[u8; 16], sqn: &[u8; 6], amf: &[u8; 2]) -> [u8; 8] {
        first_half(self.out1(rand, sqn, amf))
    }

    /// f1*, the re-synchronisation message authentication function: MAC-S
    /// (TS 35.206 §4.1, OUT1 bits 64 to 127). In AUTS the AMF is the dummy `0000`
    /// (TS 33.102 §6.3.3).
    pub fn f1_star(&self, rand: &[u8; 16], sqn: &[u8; 6], amf: &[u8; 2]) -> [u8; 8] {
        second_half(self.out1(rand, sqn, amf))
    }

    /// f2, f3, f4 and f5 (TS 35.206 §4.1): RES = OUT2 bits 64 to 127, CK = OUT3,
    /// IK = OUT4, AK = OUT2 bits 0 to 47.
    pub fn f2345(&self, rand: &[u8; 16]) -> F2345 {
        let temp = self.temp(rand);
        let out2 = self.out(temp, 2);
        let mut ak = [0; 6];
        ak.copy_from_slice(&out2[..6]);
        (second_half(out2), self.out(temp, 3), self.out(temp, 4), ak)
    }

    /// f5, the anonymity key of authentication: AK = OUT2 bits 0 to 47 (TS 35.206 §4.1).
    pub fn f5(&self, rand: &[u8; 16]) -> [u8; 6] {
        self.f2345(rand).3
    }

    /// f5*, the anonymity key of re-synchronisation: AK* = OUT5 bits 0 to 47
    /// (TS 35.206 §4.1).
    pub fn f5_star(&self, rand: &[u8; 16]) -> [u8; 6] {
        let out5 = self.out(self.temp(rand), 5);
        let mut ak = [0; 6];
        ak.copy_from_slice(&out5[..6]);
        ak
    }

    /// TEMP = E_K(RAND ⊕ OPc).
    fn temp(&self, rand: &[u8; 16]) -> [u8; 16] {
        encrypt(&self.k, xor(*rand, self.opc))
    }

    /// OUT1 = E_K(TEMP ⊕ rot(IN1 ⊕ OPc, r1) ⊕ c1) ⊕ OPc, IN1 = SQN ‖ AMF ‖ SQN ‖ AMF.
    fn out1(&self, rand: &[u8; 16], sqn: &[u8; 6], amf: &[u8; 2]) -> [u8; 16] {
        let mut in1 = [0u8; 16];
        for half in in1.chunks_exact_mut(8) {
            half[..6].copy_from_slice(sqn);
            half[6..].copy_from_slice(amf);
        }
        let temp = u128::from_be_bytes(self.temp(rand));
        let opc = u128::from_be_bytes(self.opc);
        let input = temp ^ (u128::from_be_bytes(in1) ^ opc).rotate_left(R[0]) ^ C[0];
        xor(encrypt(&self.k, input.to_be_bytes()), self.opc)
    }

    /// OUTi = E_K(rot(TEMP ⊕ OPc, ri) ⊕ ci) ⊕ OPc for i = 2 … 5.
    fn out(&self, temp: [u8; 16], i: usize) -> [u8; 16] {
        let x = u128::from_be_bytes(xor(temp, self.opc));
        let input = x.rotate_left(R[i - 1]) ^ C[i - 1];
        xor(encrypt(&self.k, input.to_be_bytes()), self.opc)
    }
}

/// E_K(block): one AES-128 block encryption (the MILENAGE kernel, TS 35.206 §4.1).
fn encrypt(k: &[u8; 16], block: [u8; 16]) -> [u8; 16] {
    let cipher = Aes128::new(k.into());
    let mut block = block.into();
    cipher.encrypt_block(&mut block);
    block.into()
}

fn xor<const N: usize>(a: [u8; N], b: [u8; N]) -> [u8; N] {
    std::array::from_fn(|i| a[i] ^ b[i])
}

fn first_half(x: [u8; 16]) -> [u8; 8] {
    std::array::from_fn(|i| x[i])
}

fn second_half(x: [u8; 16]) -> [u8; 8] {
    std::array::from_fn(|i| x[8 + i])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One test set of 3GPP TS 35.208 §4.3: inputs, then every output.
    struct TestSet {
        k: &'static str,
        rand: &'static str,
        sqn: &'static str,
        amf: &'static str,
        op: &'static str,
        opc: &'static str,
        f1: &'static str,
        f1_star: &'static str,
        f2: &'static str,
        f5: &'static str,
        f3: &'static str,
        f4: &'static str,
        f5_star: &'static str,
    }

    /// 3GPP TS 35.208 §4.3, test sets 1 to 6 (identical to TS 35.207 §4.3). Set 1 as in
    /// shared/vectors/README.md; sets 2 to 6 checked value by value against two
    /// independent public implementations' copies of the standard's tables.
    const TEST_SETS: [TestSet; 6] = [
        TestSet {
            k: "465b5ce8b199b49faa5f0a2ee238a6bc",
            rand: "23553cbe9637a89d218ae64dae47bf35",
            sqn: "ff9bb4d0b607",
            amf: "b9b9",
            op: "cdc202d5123e20f62b6d676ac72cb318",
            opc: "cd63cb71954a9f4e48a5994e37a02baf",
            f1: "4a9ffac354dfafb3",
            f1_star: "01cfaf9ec4e871e9",
            f2: "a54211d5e3ba50bf",
            f5: "aa689c648370",
            f3: "b40ba9a3c58b2a05bbf0d987b21bf8cb",
            f4: "f769bcd751044604127672711c6d3441",
            f5_star: "451e8beca43b",
        },
        TestSet {
            k: "0396eb317b6d1c36f19c1c84cd6ffd16",
            rand: "c00d603103dcee52c4478119494202e8",
            sqn: "fd8eef40df7d",
            amf: "af17",
            op: "ff53bade17df5d4e793073ce9d7579fa",
            opc: "53c15671c60a4b731c55b4a441c0bde2",
            f1: "5df5b31807e258b0",
            f1_star: "a8c016e51ef4a343",
            f2: "d3a628ed988620f0",
            f5: "c47783995f72",
            f3: "58c433ff7a7082acd424220f2b67c556",
            f4: "21a8c1f929702adb3e738488b9f5c5da",
            f5_star: "30f1197061c1",
        },
        TestSet {
            k: "fec86ba6eb707ed08905757b1bb44b8f",
            rand: "9f7c8d021accf4db213ccff0c7f71a6a",
            sqn: "9d0277595ffc",
            amf: "725c",
            op: "dbc59adcb6f9a0ef735477b7fadf8374",
            opc: "1006020f0a478bf6b699f15c062e42b3",
            f1: "9cabc3e99baf7281",
            f1_star: "95814ba2b3044324",
            f2: "8011c48c0c214ed2",
            f5: "33484dc2136b",
            f3: "5dbdbb2954e8f3cde665b046179a5098",
            f4: "59a92d3b476a0443487055cf88b2307b",
            f5_star: "deacdd848cc6",
        },
        TestSet {
            k: "9e5944aea94b81165c82fbf9f32db751",
            rand: "ce83dbc54ac0274a157c17f80d017bd6",
            sqn: "0b604a81eca8",
            amf: "9e09",
            op: "223014c5806694c007ca1eeef57f004f",
            opc: "a64a507ae1a2a98bb88eb4210135dc87",
            f1: "74a58220cba84c49",
            f1_star: "ac2cc74a96871837",
            f2: "f365cd683cd92e96",
            f5: "f0b9c08ad02e",
            f3: "e203edb3971574f5a94b0d61b816345d",
            f4: "0c4524adeac041c4dd830d20854fc46b",
            f5_star: "6085a86c6f63",
        },
        TestSet {
            k: "4ab1deb05ca6ceb051fc98e77d026a84",
            rand: "74b0cd6031a1c8339b2b6ce2b8c4a186",
            sqn: "e880a1b580b6",
            amf: "9f07",
            op: "2d16c5cd1fdf6b22383584e3bef2a8d8",
            opc: "dcf07cbd51855290b92a07a9891e523e",
            f1: "49e785dd12626ef2",
            f1_star: "9e85790336bb3fa2",
            f2: "5860fc1bce351e7e",
            f5: "31e11a609118",
            f3: "7657766b373d1c2138f307e3de9242f9",
            f4: "1c42e960d89b8fa99f2744e0708ccb53",
            f5_star: "fe2555e54aa9",
        },
        TestSet {
            k: "6c38a116ac280c454f59332ee35c8c4f",
            rand: "ee6466bc96202c5a557abbeff8babf63",
            sqn: "414b98222181",
            amf: "4464",
            op: "1ba00a1a7c6700ac8c3ff3e96ad08725",
            opc: "3803ef5363b947c6aaa225e58fae3934",
            f1: "078adfb488241a57",
            f1_star: "80246b8d0186bcf1",
            f2: "16c8233f05a0ac28",
            f5: "45b0f69ab06c",
            f3: "3f8c7587fe8e4b233af676aede30ba3b",
            f4: "a7466cc1e6b2a1337d49d3b66e95d7b4",
            f5_star: "1f53cd2b1113",
        },
    ];

    fn h<const N: usize>(text: &str) -> [u8; N] {
        let bytes = hex::decode(text).expect("test vector is hex");
        bytes.try_into().expect("test vector has the right length")
    }

    fn check(n: usize) {
        let set = &TEST_SETS[n - 1];
        let rand = h(set.rand);
        let (sqn, amf) = (h(set.sqn), h(set.amf));
        let m = Milenage::from_op(h(set.k), h(set.op));
        assert_eq!(hex::encode(m.opc()), set.opc, "test set {n}: OPc");
        assert_eq!(hex::encode(m.f1(&rand, &sqn, &amf)), set.f1, "set {n}: f1");
        let mac_s = m.f1_star(&rand, &sqn, &amf);
        assert_eq!(hex::encode(mac_s), set.f1_star, "test set {n}: f1*");
        let (res, ck, ik, ak) = m.f2345(&rand);
        assert_eq!(hex::encode(res), set.f2, "test set {n}: f2");
        assert_eq!(hex::encode(ck), set.f3, "test set {n}: f3");
        assert_eq!(hex::encode(ik), set.f4, "test set {n}: f4");
        assert_eq!(hex::encode(ak), set.f5, "test set {n}: f5");
        assert_eq!(hex::encode(m.f5(&rand)), set.f5, "test set {n}: f5 alone");
        let ak_star = m.f5_star(&rand);
        assert_eq!(hex::encode(ak_star), set.f5_star, "test set {n}: f5*");
        let same = Milenage::from_opc(h(set.k), h(set.opc));
        assert_eq!(same, m, "test set {n}: keys from OPc equal keys from OP");
    }

    #[test]
    fn conforms_to_ts_35_208_test_set_1() {
        check(1);
    }

    #[test]
    fn conforms_to_ts_35_208_test_set_2() {
        check(2);
    }

    #[test]
    fn conforms_to_ts_35_208_test_set_3() {
        check(3);
    }

    #[test]
    fn conforms_to_ts_35_208_test_set_4() {
        check(4);
    }

    #[test]
    fn conforms_to_ts_35_208_test_set_5() {
        check(5);
    }

    #[test]
    fn conforms_to_ts_35_208_test_set_6() {
        check(6);
    }

    #[test]
    fn debug_output_hides_the_keys() {
        let m = Milenage::from_opc([0x11; 16], [0x22; 16]);
        let text = format!("{m:?}");
        assert!(!text.contains("11") && !text.contains("17"), "{text}");
    }
}
