{{ config(
    unique_key='response_id',
    post_hook="{{ forget_withdrawn_copies(source('surveys', 'responses')) }}",
) }}
with

source as (
    {{ landed_records(source('surveys', 'responses'), 'response_id') }}
),

renamed as (
    select
        record_key as response_id,
        {{ json_text('payload', '$.survey_id') }} as survey_id,
        lower(trim({{ json_text('payload', '$.survey_type') }})) as survey_type,
        {{ json_text('payload', '$.scale_version') }} as scale_version,
        {{ json_int('payload', '$.score') }} as score,
        {{ json_text('payload', '$.comment') }} as comment_text,
        {{ json_text('payload', '$.language') }} as language,  -- noqa: RF04
        {{ json_text('payload', '$.respondent.email') }} as respondent_email,
        {{ json_text('payload', '$.respondent.phone') }} as respondent_phone,
        {{ json_text('payload', '$.respondent.external_id') }} as user_id,
        {{ json_text('payload', '$.trigger.touchpoint_type') }} as trigger_touchpoint_type,
        {{ json_text('payload', '$.trigger.channel') }} as trigger_channel,
        {{ json_text('payload', '$.trigger.reference_id') }} as trigger_reference_id,
        {{ to_utc(json_text('payload', '$.sent_at')) }} as sent_at,
        {{ to_utc(json_text('payload', '$.responded_at')) }} as responded_at,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from source
),

deduplicated as (
    {{ latest_landed_copy('renamed', 'response_id') }}
),

final as (
    select
        response_id,
        survey_id,
        survey_type,
        scale_version,
        score,
        coalesce(trim(comment_text) != '', false) as has_comment,
        language,
        {{ pseudonymize(normalize_email('respondent_email'), 'email') }} as respondent_email_key,
        {{ pseudonymize(
            normalize_phone('respondent_phone', "'" ~ var('default_phone_region') ~ "'"),
            'phone'
        ) }} as respondent_phone_key,
        user_id,
        trigger_touchpoint_type,
        trigger_channel,
        trigger_reference_id,
        sent_at,
        responded_at,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from deduplicated
)

select * from final
