// The one catalogue of every string the app shows: Bahasa Indonesia first, English second.
const catalogue = {
  id: {
    app_title: 'Verval', online: 'Daring', offline: 'Luring', last_sync: 'Sinkron terakhir', never: 'belum pernah',
    unsent_visits: 'Kunjungan belum terkirim', unsent_photos: 'Foto belum terkirim', sync_now: 'Sinkronkan',
    syncing: 'Menyinkronkan…', storage: 'Penyimpanan', storage_persisted: 'tetap', language: 'English',
    login_title: 'Masuk', username: 'Nama pengguna', password: 'Kata sandi', device_name: 'Nama perangkat',
    login: 'Masuk', logout: 'Keluar', logout_confirm: 'Keluar dari perangkat ini? Data rumah tangga dihapus dari HP.',
    logout_unsent: 'Belum bisa keluar: {v} kunjungan, {p} foto belum terkirim dan {d} draf. Kirim atau selesaikan dulu.', login_failed: 'Gagal masuk', login_again: 'Sesi berakhir. Silakan masuk lagi; data belum terkirim tetap aman.',
    need_online_login: 'Perlu koneksi internet untuk masuk.',
    households: 'Rumah tangga', outbox: 'Kotak keluar', propose: 'Usulan baru', back: 'Kembali',
    search: 'Cari nama, NIK, atau No. KK', all_kelurahan: 'Semua kelurahan', all_rt: 'Semua RT', rt: 'RT', rw: 'RW',
    status_all: 'Semua status', status_todo: 'Belum dikunjungi', status_visited: 'Sudah dikunjungi',
    status_sent: 'Terkirim', status_revisit: 'Kunjungan ulang', sort_name: 'Urut nama', sort_distance: 'Urut jarak',
    no_households: 'Belum ada rumah tangga. Sinkronkan dulu.', count_households: '{n} rumah tangga',
    members: 'Anggota keluarga', address: 'Alamat', location: 'Lokasi', no_location: 'Tanpa lokasi',
    aid_on_record: 'Bantuan tercatat', previous_visits: 'Kunjungan sebelumnya', reviewer_notes: 'Catatan pemeriksa',
    none: 'Tidak ada', start_visit: 'Mulai kunjungan', continue_draft: 'Lanjutkan draf', drafts: 'Draf belum selesai', discard_draft: 'Buang draf', discard_confirm: 'Buang draf ini beserta fotonya?', decile: 'Desil',
    kk: 'No. KK', nik: 'NIK', head: 'Kepala keluarga', name: 'Nama', sex: 'Jenis kelamin', birth_date: 'Tanggal lahir',
    relationship: 'Hubungan', visit_form: 'Formulir kunjungan', outcome: 'Hasil kunjungan', consent: 'Responden setuju diwawancarai',
    presence: 'Keberadaan', add_member: 'Tambah anggota baru', new_member: 'Anggota baru', remove: 'Hapus',
    house_condition: 'Kondisi rumah', aid_received: 'Bantuan yang benar-benar diterima', notes: 'Catatan',
    gps: 'Lokasi GPS', gps_waiting: 'Mencari sinyal GPS…', gps_accuracy: 'Akurasi ±{m} m', gps_poor: 'Akurasi lebih buruk dari 50 m', gps_now: 'sekarang ±{m} m',
    gps_none: 'Belum ada lokasi; kunjungan akan disimpan tanpa lokasi.', gps_denied: 'Izin lokasi ditolak',
    no_fix_reason: 'Alasan tanpa lokasi', photos: 'Foto', take_photo: 'Ambil foto', photo_saved: 'Foto tersimpan',
    save_send: 'Simpan & kirim', draft_saved: 'Draf tersimpan', choose: '— pilih —', required: 'Wajib diisi',
    saved_outbox: 'Kunjungan disimpan ke kotak keluar', outbox_empty: 'Semua sudah terkirim.',
    state_pending: 'Menunggu', state_sending: 'Mengirim', state_refused: 'Ditolak', state_held: 'Menunggu kunjungan',
    state_uploading: 'Mengunggah', last_error: 'Galat terakhir', fix_resend: 'Perbaiki & kirim ulang', retry: 'Kirim ulang', visit: 'Kunjungan',
    photo: 'Foto', attempts: 'Percobaan', propose_title: 'Usulkan rumah tangga baru', region_code: 'Kode kelurahan',
    proposed: 'Usulan baru', saved: 'Tersimpan', error_network: 'Tidak ada koneksi ke server', error_server: 'Server menolak',
    correction: 'Koreksi', correct_visit: 'Koreksi kunjungan',
    outcome_found: 'Ditemukan', outcome_not_found: 'Tidak ditemukan', outcome_moved_within: 'Pindah (dalam kota)',
    outcome_moved_outside: 'Pindah (luar kota)', outcome_deceased: 'Semua anggota meninggal', outcome_duplicate: 'Data ganda',
    outcome_merged: 'Bergabung dengan RT lain', outcome_refused: 'Menolak', outcome_building_gone: 'Bangunan tidak ada',
    presence_present: 'Ada', presence_moved: 'Pindah', presence_deceased: 'Meninggal', presence_not_found: 'Tidak ditemukan', presence_new: 'Baru',
    kind_house_front: 'Depan rumah', kind_living_room: 'Ruang tamu', kind_kitchen: 'Dapur', kind_bathroom: 'Kamar mandi',
    kind_family_card: 'Kartu keluarga', kind_other: 'Lainnya',
    hc_ownership: 'Status kepemilikan', hc_floor_area: 'Luas lantai (m²)', hc_floor: 'Lantai', hc_wall: 'Dinding', hc_roof: 'Atap',
    hc_water: 'Sumber air minum', hc_lighting: 'Penerangan', hc_cooking_fuel: 'Bahan bakar memasak', hc_toilet: 'Jamban',
    sex_1: 'Laki-laki', sex_2: 'Perempuan', km: '{d} km', m: '{d} m',
  },
  en: {
    app_title: 'Verval', online: 'Online', offline: 'Offline', last_sync: 'Last sync', never: 'never',
    unsent_visits: 'Unsent visits', unsent_photos: 'Unsent photos', sync_now: 'Sync now',
    syncing: 'Syncing…', storage: 'Storage', storage_persisted: 'persistent', language: 'Indonesia',
    login_title: 'Log in', username: 'Username', password: 'Password', device_name: 'Device name',
    login: 'Log in', logout: 'Log out', logout_confirm: 'Log out of this device? The households are removed from the phone.',
    logout_unsent: 'Cannot log out yet: {v} visits, {p} photos unsent and {d} drafts. Send or finish them first.', login_failed: 'Login failed', login_again: 'Session ended. Please log in again; unsent data is kept.',
    need_online_login: 'An internet connection is needed to log in.',
    households: 'Households', outbox: 'Outbox', propose: 'New household', back: 'Back',
    search: 'Search name, NIK or family card no.', all_kelurahan: 'All kelurahan', all_rt: 'All RT', rt: 'RT', rw: 'RW',
    status_all: 'All statuses', status_todo: 'To visit', status_visited: 'Visited',
    status_sent: 'Sent', status_revisit: 'Revisit', sort_name: 'Sort by name', sort_distance: 'Sort by distance',
    no_households: 'No households yet. Sync first.', count_households: '{n} households',
    members: 'Members', address: 'Address', location: 'Location', no_location: 'No location',
    aid_on_record: 'Aid on record', previous_visits: 'Previous visits', reviewer_notes: 'Reviewer notes',
    none: 'None', start_visit: 'Start visit', continue_draft: 'Continue draft', drafts: 'Unfinished drafts', discard_draft: 'Discard draft', discard_confirm: 'Discard this draft and its photos?', decile: 'Decile',
    kk: 'Family card no.', nik: 'NIK', head: 'Head of family', name: 'Name', sex: 'Sex', birth_date: 'Birth date',
    relationship: 'Relationship', visit_form: 'Visit form', outcome: 'Outcome', consent: 'Respondent consents to the interview',
    presence: 'Presence', add_member: 'Add new member', new_member: 'New member', remove: 'Remove',
    house_condition: 'House condition', aid_received: 'Aid actually received', notes: 'Notes',
    gps: 'GPS location', gps_waiting: 'Waiting for GPS…', gps_accuracy: 'Accuracy ±{m} m', gps_poor: 'Accuracy worse than 50 m', gps_now: 'now ±{m} m',
    gps_none: 'No location yet; the visit will be saved without one.', gps_denied: 'Location permission denied',
    no_fix_reason: 'Reason for no location', photos: 'Photos', take_photo: 'Take photo', photo_saved: 'Photo saved',
    save_send: 'Save & send', draft_saved: 'Draft saved', choose: '— choose —', required: 'Required',
    saved_outbox: 'Visit saved to the outbox', outbox_empty: 'Everything has been sent.',
    state_pending: 'Waiting', state_sending: 'Sending', state_refused: 'Refused', state_held: 'Waiting for visit',
    state_uploading: 'Uploading', last_error: 'Last error', fix_resend: 'Fix & resend', retry: 'Send again', visit: 'Visit',
    photo: 'Photo', attempts: 'Attempts', propose_title: 'Propose a new household', region_code: 'Kelurahan code',
    proposed: 'Proposed', saved: 'Saved', error_network: 'No connection to the server', error_server: 'Server refused',
    correction: 'Correction', correct_visit: 'Correct visit',
    outcome_found: 'Found', outcome_not_found: 'Not found', outcome_moved_within: 'Moved (within city)',
    outcome_moved_outside: 'Moved (outside city)', outcome_deceased: 'All members deceased', outcome_duplicate: 'Duplicate record',
    outcome_merged: 'Merged into another household', outcome_refused: 'Refused', outcome_building_gone: 'Building gone',
    presence_present: 'Present', presence_moved: 'Moved', presence_deceased: 'Deceased', presence_not_found: 'Not found', presence_new: 'New',
    kind_house_front: 'House front', kind_living_room: 'Living room', kind_kitchen: 'Kitchen', kind_bathroom: 'Bathroom',
    kind_family_card: 'Family card', kind_other: 'Other',
    hc_ownership: 'Ownership', hc_floor_area: 'Floor area (m²)', hc_floor: 'Floor', hc_wall: 'Wall', hc_roof: 'Roof',
    hc_water: 'Drinking water', hc_lighting: 'Lighting', hc_cooking_fuel: 'Cooking fuel', hc_toilet: 'Toilet',
    sex_1: 'Male', sex_2: 'Female', km: '{d} km', m: '{d} m',
  },
};

let lang = localStorage.getItem('verval.lang') || 'id';

export function t(key, params = {}) {
  const text = catalogue[lang][key] ?? catalogue.id[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''));
}

export function getLang() { return lang; }

export function setLang(next) {
  lang = next === 'en' ? 'en' : 'id';
  localStorage.setItem('verval.lang', lang);
  document.documentElement.lang = lang;
}

/** A label from the server's reference lists ({code, label_id, label_en}) in the current language. */
export function refLabel(item) {
  if (!item) return '';
  return (lang === 'en' ? item.label_en : item.label_id) || item.label_id || item.name || item.code;
}

export const keys = Object.keys(catalogue.id);
export const catalogues = catalogue;
