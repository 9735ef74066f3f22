//! Table definitions, written to match `migrations/{postgres,sqlite}` (one schema, two dialects).
// @generated-style file kept by hand: the migration test checks it against both databases.

diesel::table! {
    regions (id) {
        id -> Text,
        code -> Text,
        province_code -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    organizations (id) {
        id -> Text,
        kind -> Text,
        name -> Text,
        credit_code -> Nullable<Text>,
        region_id -> Nullable<Text>,
        hospital_level -> Nullable<SmallInt>,
        is_manufacturer -> Bool,
        is_distributor -> Bool,
        bank_name -> Nullable<Text>,
        bank_account -> Nullable<Text>,
        is_demo -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        display_name -> Text,
        email -> Nullable<Text>,
        password_hash -> Text,
        role -> Text,
        org_id -> Text,
        active -> Bool,
        created_at -> Timestamp,
        session_version -> Integer,
        last_sign_in_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sign_in_failures (id) {
        id -> Text,
        username -> Text,
        client -> Text,
        failed_at -> Timestamp,
    }
}

diesel::table! {
    region_policies (id) {
        id -> Text,
        region_id -> Text,
        kind -> Text,
        effective_from -> Date,
        params -> Text,
        note -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    products (id) {
        id -> Text,
        code -> Text,
        category -> Text,
        generic_name -> Text,
        generic_name_en -> Nullable<Text>,
        dosage_form -> Text,
        specification -> Text,
        pack_size -> BigInt,
        min_unit -> Text,
        created_at -> Timestamp,
        consistency -> Nullable<Text>,
    }
}

diesel::table! {
    batches (id) {
        id -> Text,
        region_id -> Text,
        name -> Text,
        level -> Text,
        category -> Text,
        document_no -> Text,
        cycle_start -> Date,
        cycle_end -> Date,
        volume_ratios -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    winning_bids (id) {
        id -> Text,
        batch_id -> Text,
        product_id -> Text,
        enterprise_id -> Text,
        unit_price -> BigInt,
        pack_price -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    bid_supply_regions (bid_id, region_code) {
        bid_id -> Text,
        region_code -> Text,
        role -> Text,
    }
}

diesel::table! {
    bid_distributors (bid_id, enterprise_id) {
        bid_id -> Text,
        enterprise_id -> Text,
    }
}

diesel::table! {
    listed_products (id) {
        id -> Text,
        region_id -> Text,
        product_id -> Text,
        enterprise_id -> Text,
        unit_price -> BigInt,
        pack_price -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    agreed_volumes (id) {
        id -> Text,
        region_id -> Text,
        hospital_id -> Text,
        bid_id -> Text,
        agreement_year -> SmallInt,
        year_start -> Date,
        year_end -> Date,
        reported_demand -> BigInt,
        winners -> SmallInt,
        ratio_bp -> Integer,
        agreed_qty -> BigInt,
        ordered_qty -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
        accepted_qty -> BigInt,
    }
}

diesel::table! {
    off_volume_purchases (delivery_line_id) {
        delivery_line_id -> Text,
        region_id -> Text,
        hospital_id -> Text,
        generic_name -> Text,
        kind -> Text,
        agreed_volume_id -> Nullable<Text>,
        unit_price -> BigInt,
        acceptance_date -> Date,
        qty -> BigInt,
    }
}

diesel::table! {
    orders (id) {
        id -> Text,
        order_no -> Text,
        region_id -> Text,
        hospital_id -> Text,
        supplier_id -> Text,
        status -> Text,
        total_amount -> BigInt,
        note -> Nullable<Text>,
        decline_reason -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    order_lines (id) {
        id -> Text,
        order_id -> Text,
        line_no -> Integer,
        kind -> Text,
        bid_id -> Nullable<Text>,
        listed_product_id -> Nullable<Text>,
        product_id -> Text,
        agreed_volume_id -> Nullable<Text>,
        unit_price -> BigInt,
        quantity -> BigInt,
        in_volume_qty -> BigInt,
        above_volume_qty -> BigInt,
        amount -> BigInt,
        accepted_qty -> BigInt,
    }
}

diesel::table! {
    deliveries (id) {
        id -> Text,
        delivery_no -> Text,
        order_id -> Text,
        region_id -> Text,
        hospital_id -> Text,
        supplier_id -> Text,
        status -> Text,
        note -> Nullable<Text>,
        shipped_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    delivery_lines (id) {
        id -> Text,
        delivery_id -> Text,
        order_line_id -> Text,
        line_no -> Integer,
        quantity -> BigInt,
        lot_no -> Text,
        production_date -> Date,
        expiry_date -> Date,
        accepted_qty -> Nullable<BigInt>,
        rejected_qty -> Nullable<BigInt>,
        reject_reason -> Nullable<Text>,
    }
}

diesel::table! {
    acceptances (id) {
        id -> Text,
        delivery_id -> Text,
        status -> Text,
        received_by -> Text,
        delivered_by -> Text,
        note -> Nullable<Text>,
        accepted_at -> Nullable<Timestamp>,
        acceptance_date -> Nullable<Date>,
        created_by -> Text,
        created_at -> Timestamp,
        confirmed_by -> Nullable<Text>,
    }
}

diesel::table! {
    payables (id) {
        id -> Text,
        payable_no -> Text,
        acceptance_id -> Text,
        delivery_id -> Text,
        order_id -> Text,
        region_id -> Text,
        hospital_id -> Text,
        supplier_id -> Text,
        amount -> BigInt,
        acceptance_date -> Date,
        due_date -> Date,
        deadline_policy_id -> Text,
        created_at -> Timestamp,
        stage -> Text,
        invoiced_on -> Nullable<Date>,
        confirm_deadline -> Nullable<Date>,
        confirmed_on -> Nullable<Date>,
        confirmation -> Nullable<Text>,
        disputed_amount -> BigInt,
        dispute_reason -> Nullable<Text>,
        paid_amount -> BigInt,
        paid_on -> Nullable<Date>,
        bank_reference -> Nullable<Text>,
        batch_id -> Nullable<Text>,
        overdue_since -> Nullable<Date>,
        supplier_delay_days -> Integer,
        hospital_delay_days -> Integer,
        fund_delay_days -> Integer,
        interest -> BigInt,
        interest_policy_id -> Nullable<Text>,
        confirmation_policy_id -> Nullable<Text>,
        credited_amount -> BigInt,
        dispute_resolved_on -> Nullable<Date>,
        dispute_resolution -> Nullable<Text>,
        order_no -> Text,
        delivery_no -> Text,
        items -> Text,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        occurred_at -> Timestamp,
        region_id -> Nullable<Text>,
        actor_user_id -> Nullable<Text>,
        actor_org_id -> Nullable<Text>,
        entity_type -> Text,
        entity_id -> Text,
        action -> Text,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
        prev_hash -> Nullable<Text>,
        hash -> Text,
    }
}

diesel::table! {
    idempotency_keys (user_id, idem_key) {
        user_id -> Text,
        idem_key -> Text,
        method -> Text,
        path -> Text,
        request_hash -> Text,
        status_code -> Integer,
        response_body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    settings (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    calendar_days (region_id, day) {
        region_id -> Text,
        day -> Date,
        is_working -> Bool,
        name -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    invoices (id) {
        id -> Text,
        payable_id -> Text,
        supplier_id -> Text,
        invoice_no -> Text,
        invoice_date -> Date,
        amount -> BigInt,
        tax_amount -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    payment_batches (id) {
        id -> Text,
        batch_no -> Text,
        region_id -> Text,
        status -> Text,
        proposed_on -> Nullable<Date>,
        total_amount -> BigInt,
        item_count -> Integer,
        prepared_by -> Nullable<Text>,
        prepared_at -> Nullable<Timestamp>,
        approved_by -> Nullable<Text>,
        approved_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    payment_batch_items (batch_id, payable_id) {
        batch_id -> Text,
        payable_id -> Text,
        amount -> BigInt,
    }
}

diesel::table! {
    payments (id) {
        id -> Text,
        bank_reference -> Text,
        payable_id -> Text,
        batch_id -> Text,
        region_id -> Text,
        payee_id -> Text,
        amount -> BigInt,
        paid_on -> Date,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    journal_entries (id) {
        id -> Text,
        region_id -> Text,
        entry_date -> Date,
        kind -> Text,
        memo -> Text,
        source_type -> Text,
        source_id -> Text,
        reverses_entry_id -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    journal_lines (id) {
        id -> Text,
        entry_id -> Text,
        region_id -> Text,
        account -> Text,
        party_id -> Nullable<Text>,
        debit -> BigInt,
        credit -> BigInt,
        entry_date -> Date,
    }
}

diesel::table! {
    prepayments (id) {
        id -> Text,
        region_id -> Text,
        hospital_id -> Text,
        batch_id -> Text,
        agreement_year -> SmallInt,
        annual_amount -> BigInt,
        share_bp -> Integer,
        amount -> BigInt,
        policy_id -> Text,
        prepaid_on -> Date,
        created_at -> Timestamp,
    }
}

diesel::table! {
    monthly_settlements (id) {
        id -> Text,
        region_id -> Text,
        hospital_id -> Text,
        month -> Text,
        amount -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    job_runs (id) {
        id -> Text,
        job -> Text,
        as_of -> Date,
        trigger -> Text,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        outcome -> Text,
        counts -> Nullable<Text>,
        error -> Nullable<Text>,
        host -> Text,
        region_id -> Nullable<Text>,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        dedup_key -> Text,
        region_id -> Nullable<Text>,
        kind -> Text,
        to_org_id -> Nullable<Text>,
        to_address -> Text,
        subject -> Text,
        body -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    retention_inputs (region_id, agreement_year, kind, subject) {
        region_id -> Text,
        agreement_year -> SmallInt,
        kind -> Text,
        subject -> Text,
        value -> Text,
        comment -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    retention_runs (id) {
        id -> Text,
        run_no -> Text,
        region_id -> Text,
        agreement_year -> SmallInt,
        as_of -> Date,
        policy_id -> Text,
        status -> Text,
        supersedes_id -> Nullable<Text>,
        inputs -> Text,
        total_surplus -> BigInt,
        total_retained -> BigInt,
        started_by -> Text,
        trigger -> Text,
        created_at -> Timestamp,
        approved_by -> Nullable<Text>,
        approved_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    retention_lines (run_id, hospital_id, generic_name) {
        run_id -> Text,
        hospital_id -> Text,
        generic_name -> Text,
        agreed_qty -> BigInt,
        pre_vbp_price -> BigInt,
        winning_qty -> BigInt,
        winning_amount -> BigInt,
        above_volume_qty -> BigInt,
        above_volume_amount -> BigInt,
        non_winning_qty -> BigInt,
        non_winning_amount -> BigInt,
        budget -> Text,
        actual -> Text,
        saving -> Text,
    }
}

diesel::table! {
    retention_results (run_id, hospital_id) {
        run_id -> Text,
        hospital_id -> Text,
        fund_ratio -> Text,
        insured_share -> Text,
        surplus -> BigInt,
        components -> Text,
        score -> Nullable<Text>,
        grade -> Text,
        share -> Text,
        retained -> BigInt,
    }
}

diesel::table! {
    monitoring_warnings (id) {
        id -> Text,
        region_id -> Text,
        hospital_id -> Nullable<Text>,
        supplier_id -> Nullable<Text>,
        kind -> Text,
        subject -> Text,
        as_of -> Date,
        message -> Text,
        details -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tenders (id) {
        id -> Text,
        tender_no -> Text,
        region_id -> Text,
        name -> Text,
        document_no -> Text,
        category -> Text,
        level -> Text,
        cycle_start -> Date,
        cycle_end -> Date,
        demand_closes_at -> Timestamp,
        bid_deadline -> Timestamp,
        opening_at -> Timestamp,
        rules -> Text,
        rules_policy_id -> Text,
        status -> Text,
        sealed_key -> Text,
        opened_key -> Nullable<Text>,
        opened_at -> Nullable<Timestamp>,
        proposed_at -> Nullable<Timestamp>,
        objections_close_at -> Nullable<Timestamp>,
        final_at -> Nullable<Timestamp>,
        enacted_at -> Nullable<Timestamp>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tender_regions (tender_id, region_id) {
        tender_id -> Text,
        region_id -> Text,
    }
}

diesel::table! {
    tender_generics (id) {
        id -> Text,
        tender_id -> Text,
        generic_name -> Text,
        dosage_form -> Text,
        rep_strength -> Text,
        rep_fill_volume -> Nullable<Text>,
        strength_unit -> Text,
        min_unit -> Text,
        max_price -> BigInt,
        valid_bids -> Nullable<Integer>,
        shortlist_cap -> Nullable<Integer>,
        lowest -> Nullable<BigInt>,
        anchor -> Nullable<BigInt>,
        threshold -> Nullable<BigInt>,
        discount_line -> Nullable<BigInt>,
        winners -> Nullable<Integer>,
    }
}

diesel::table! {
    tender_demands (id) {
        id -> Text,
        tender_id -> Text,
        generic_id -> Text,
        hospital_id -> Text,
        region_id -> Text,
        product_id -> Nullable<Text>,
        quantity -> BigInt,
        past_use -> Nullable<BigInt>,
        reason -> Nullable<Text>,
        status -> Text,
        return_reason -> Nullable<Text>,
        updated_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    tender_qualifications (id) {
        id -> Text,
        tender_id -> Text,
        generic_id -> Text,
        enterprise_id -> Text,
        product_id -> Text,
        strength -> Text,
        fill_volume -> Nullable<Text>,
        units_per_pack -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tender_bids (id) {
        id -> Text,
        tender_id -> Text,
        generic_id -> Text,
        qualification_id -> Text,
        enterprise_id -> Text,
        sealed -> Text,
        receipt -> Text,
        version -> Integer,
        submitted_at -> Timestamp,
        pack_price -> Nullable<BigInt>,
        unit_price -> Nullable<Text>,
        coefficient -> Nullable<Text>,
        comparable -> Nullable<BigInt>,
        comparable_exact -> Nullable<Text>,
        rank -> Nullable<Integer>,
        shortlisted -> Nullable<Bool>,
        wins -> Nullable<Bool>,
        decision -> Nullable<Text>,
        cost_statement -> Nullable<Bool>,
        offer_price -> Nullable<BigInt>,
        offer_pack_price -> Nullable<BigInt>,
        offer_deadline -> Nullable<Timestamp>,
        offer_answer -> Nullable<Text>,
        offer_answered_at -> Nullable<Timestamp>,
        final_pack_price -> Nullable<BigInt>,
    }
}

diesel::table! {
    tender_picks (generic_id, seq) {
        generic_id -> Text,
        seq -> Integer,
        enterprise_id -> Text,
        region_id -> Text,
        kind -> Text,
        round -> Integer,
        by_default -> Bool,
        picked_at -> Timestamp,
    }
}

diesel::table! {
    tender_objections (id) {
        id -> Text,
        tender_id -> Text,
        generic_id -> Nullable<Text>,
        enterprise_id -> Text,
        body -> Text,
        filed_at -> Timestamp,
        answer -> Nullable<Text>,
        answered_by -> Nullable<Text>,
        answered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    credit_cases (id) {
        id -> Text,
        case_no -> Text,
        region_id -> Text,
        status -> Text,
        basis -> Text,
        document_no -> Nullable<Text>,
        decision_date -> Date,
        conduct -> Text,
        amount -> Nullable<BigInt>,
        top_condition -> Nullable<Text>,
        summary -> Text,
        evidence -> Nullable<Text>,
        proposal_key -> Nullable<Text>,
        policy_id -> Text,
        grading -> Text,
        suggested_grade -> Nullable<Text>,
        grade -> Nullable<Text>,
        decision_reason -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        approved_by -> Nullable<Text>,
        approved_at -> Nullable<Timestamp>,
        review_note -> Nullable<Text>,
        measures -> Nullable<Text>,
        effective_from -> Nullable<Date>,
        ends_on -> Nullable<Date>,
        distribution_until -> Nullable<Date>,
        repaired_at -> Nullable<Timestamp>,
        closed_reason -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    credit_case_parties (case_id, enterprise_id) {
        case_id -> Text,
        enterprise_id -> Text,
        role -> Text,
    }
}

diesel::table! {
    credit_case_products (case_id, product_id) {
        case_id -> Text,
        product_id -> Text,
    }
}

diesel::table! {
    credit_repairs (id) {
        id -> Text,
        case_id -> Text,
        measure -> Text,
        evidence -> Text,
        status -> Text,
        submitted_by -> Text,
        submitted_at -> Timestamp,
        reviewed_by -> Nullable<Text>,
        reviewed_at -> Nullable<Timestamp>,
        review_note -> Nullable<Text>,
    }
}

diesel::table! {
    commitment_letters (id) {
        id -> Text,
        enterprise_id -> Text,
        template_version -> Text,
        signer -> Text,
        signed_on -> Date,
        file_name -> Text,
        content_type -> Text,
        content -> Binary,
        sha256 -> Text,
        uploaded_by -> Text,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    payment_standards (id) {
        id -> Text,
        region_id -> Text,
        generic_name -> Text,
        product_id -> Text,
        enterprise_id -> Text,
        source -> Text,
        source_id -> Text,
        effective_from -> Date,
        version -> Integer,
        status -> Text,
        branch -> Text,
        glide_year -> Nullable<Integer>,
        consistency -> Nullable<Text>,
        product_price -> BigInt,
        winning_price -> BigInt,
        standard -> BigInt,
        fund_share -> Text,
        variant -> Text,
        policy_id -> Text,
        inputs -> Text,
        explanation -> Text,
        computed_by -> Text,
        computed_at -> Timestamp,
        published_by -> Nullable<Text>,
        published_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    publications (id) {
        id -> Text,
        region_id -> Text,
        kind -> Text,
        version -> Integer,
        as_of -> Date,
        content -> Text,
        sha256 -> Text,
        items -> Integer,
        note -> Nullable<Text>,
        published_by -> Text,
        published_at -> Timestamp,
    }
}

diesel::joinable!(invoices -> payables (payable_id));
diesel::joinable!(payment_batch_items -> payables (payable_id));
diesel::joinable!(payment_batch_items -> payment_batches (batch_id));
diesel::joinable!(journal_lines -> journal_entries (entry_id));
diesel::joinable!(organizations -> regions (region_id));
diesel::joinable!(users -> organizations (org_id));
diesel::joinable!(batches -> regions (region_id));
diesel::joinable!(winning_bids -> batches (batch_id));
diesel::joinable!(winning_bids -> products (product_id));
diesel::joinable!(winning_bids -> organizations (enterprise_id));
diesel::joinable!(bid_distributors -> organizations (enterprise_id));
diesel::joinable!(listed_products -> products (product_id));
diesel::joinable!(agreed_volumes -> winning_bids (bid_id));
diesel::joinable!(order_lines -> orders (order_id));
diesel::joinable!(order_lines -> products (product_id));
diesel::joinable!(delivery_lines -> deliveries (delivery_id));
diesel::joinable!(delivery_lines -> order_lines (order_line_id));

diesel::joinable!(tender_generics -> tenders (tender_id));
diesel::joinable!(tender_bids -> tender_generics (generic_id));
diesel::joinable!(tender_bids -> tender_qualifications (qualification_id));
diesel::joinable!(tender_qualifications -> products (product_id));
diesel::joinable!(tender_qualifications -> tender_generics (generic_id));
diesel::joinable!(tender_demands -> tender_generics (generic_id));

diesel::joinable!(credit_case_parties -> credit_cases (case_id));
diesel::joinable!(credit_case_parties -> organizations (enterprise_id));
diesel::joinable!(credit_case_products -> credit_cases (case_id));
diesel::joinable!(credit_case_products -> products (product_id));
diesel::joinable!(credit_repairs -> credit_cases (case_id));
diesel::joinable!(payment_standards -> products (product_id));
diesel::joinable!(commitment_letters -> organizations (enterprise_id));
diesel::joinable!(publications -> regions (region_id));

diesel::allow_tables_to_appear_in_same_query!(
    payment_standards,
    publications,
    credit_cases,
    credit_case_parties,
    credit_case_products,
    credit_repairs,
    commitment_letters,
    regions,
    off_volume_purchases,
    organizations,
    users,
    region_policies,
    products,
    batches,
    winning_bids,
    bid_supply_regions,
    bid_distributors,
    listed_products,
    agreed_volumes,
    orders,
    order_lines,
    deliveries,
    delivery_lines,
    acceptances,
    payables,
    audit_events,
    idempotency_keys,
    settings,
    calendar_days,
    invoices,
    payment_batches,
    payment_batch_items,
    payments,
    journal_entries,
    journal_lines,
    prepayments,
    monthly_settlements,
    job_runs,
    outbox,
    retention_inputs,
    retention_runs,
    retention_lines,
    retention_results,
    monitoring_warnings,
    tenders,
    tender_regions,
    tender_generics,
    tender_demands,
    tender_qualifications,
    tender_bids,
    tender_picks,
    tender_objections,
);
